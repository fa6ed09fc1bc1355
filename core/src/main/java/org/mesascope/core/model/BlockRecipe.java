package org.mesascope.core.model;

/**
 * What one transformer block does, in the few choices the supported families differ by. The shared forward pass
 * ({@link Transformer}) reads it; an architecture sets it from config.json.
 *
 * @param norm      LayerNorm (GPT-2, NeoX, GPT-J) or RMSNorm (Llama family), for the blocks and the final norm
 * @param residual  how attention and MLP join the residual stream
 * @param positions learned position embeddings added to the token embedding, or rotary on q and k (which layout)
 * @param qkv       how the q, k and v projections are stored
 * @param mlp       plain {@code down(act(up(x)))} or gated {@code down(act(gate(x)) * up(x))}
 */
public record BlockRecipe(Norm norm, Residual residual, Positions positions, QkvLayout qkv, Mlp mlp) {

    public enum Norm {LAYER_NORM, RMS_NORM}

    public enum Residual {
        /** x + attn(ln1(x)), then + mlp(ln2(·)): GPT-2, Llama, NeoX without use_parallel_residual. */
        SEQUENTIAL,
        /** x + attn(ln1(x)) + mlp(ln2(x)): NeoX/Pythia's use_parallel_residual. */
        PARALLEL,
        /** x + attn(ln1(x)) + mlp(ln1(x)), one norm for both: GPT-J. */
        PARALLEL_SHARED_NORM
    }

    public enum Positions {
        /** A learned table added to the token embedding (GPT-2); hook_pos_embed exists. */
        LEARNED,
        /** Rotary, dimension i paired with i + rotary_dim/2 ("rotate_half": NeoX, Llama). */
        ROTARY_HALF,
        /** Rotary, dimension 2i paired with 2i + 1 ("rotate_every_two": GPT-J). */
        ROTARY_INTERLEAVED
    }

    public enum QkvLayout {
        /** Three projections q_proj, k_proj, v_proj. */
        SEPARATE,
        /** One projection whose output is [q | k | v] (GPT-2's c_attn). */
        FUSED,
        /** One projection whose output is [heads, 3, d_head]: q, k, v of head 0, then of head 1, ... (NeoX). */
        FUSED_PER_HEAD
    }

    public enum Mlp {PLAIN, GATED}

    /** Whether the MLP reads the block's input rather than the residual after attention (no hook_resid_mid). */
    public boolean parallel() {
        return residual != Residual.SEQUENTIAL;
    }

    public boolean rotary() {
        return positions != Positions.LEARNED;
    }
}
