package org.mesascope.core.io;

import java.util.Set;

/** The named tensors of a checkpoint (one safetensors file or several shards), memory-mapped. */
public interface Weights extends AutoCloseable {
    /** Names as stored in the file(s), e.g. "transformer.h.0.attn.c_attn.weight". */
    Set<String> names();

    boolean has(String name);

    /**
     * The tensor called {@code name}, checked against {@code expectedShape}.
     * @throws org.mesascope.core.MesascopeException naming the tensor when it is missing or mis-shaped
     */
    WeightTensor get(String name, int... expectedShape);

    /** Unmaps the files. Tensors obtained earlier must not be used afterwards. */
    @Override
    void close();
}
