/**
 * The independent float64 reference the engine is tested against (design: "Numerical contract").
 *
 * <ul>
 *   <li>{@link org.mesascope.core.reference.ReferenceModel}: HF transformers semantics for gpt2,
 *       gpt_neox, llama, mistral and qwen2 checkpoints, every TransformerLens hook of one sequence
 *       ({@code run}, {@code runFrom}), the logit lens ({@code unembed}) and {@code greedy}.</li>
 *   <li>{@link org.mesascope.core.reference.RandomCheckpoints}: tiny seeded HF checkpoints for each
 *       architecture variant, single-file, sharded, F32, F16 and BF16.</li>
 *   <li>{@link org.mesascope.core.reference.RefSafetensors}, {@link org.mesascope.core.reference.RefRope},
 *       {@link org.mesascope.core.reference.RefTensor}: its own file reader/writer, rotary code and tensors.</li>
 * </ul>
 * Nothing here uses classes from core/src/main: the reference must stay independent of the engine.
 */
package org.mesascope.core.reference;
