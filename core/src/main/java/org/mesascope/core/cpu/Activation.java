package org.mesascope.core.cpu;

import org.mesascope.core.MesascopeException;

/** The MLP's nonlinearity, as transformers' ACT2FN names it. */
public enum Activation {
    GELU_NEW, GELU, SILU, RELU;

    /** The activation config.json calls {@code name}. */
    public static Activation parse(String name) {
        return switch (name) {
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> GELU_NEW;
            case "gelu" -> GELU;
            case "silu", "swish" -> SILU;
            case "relu" -> RELU;
            default -> throw new MesascopeException("config.json: unsupported activation \"" + name
                    + "\" (supported: gelu_new, gelu_pytorch_tanh, gelu, silu, relu)");
        };
    }
}
