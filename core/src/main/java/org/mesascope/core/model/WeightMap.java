package org.mesascope.core.model;

import org.mesascope.core.cpu.Gemm;

import java.util.ArrayList;
import java.util.List;

/**
 * Where each weight of the shared forward pass lives in a family's Hugging Face checkpoint: one {@link Slot} per
 * stored tensor, with its name, shape and, for matrices, the layout it is stored in. An architecture writes its map
 * once; loading ({@link ModelWeights#bind}), parameter counts and anything that writes checkpoints read it.
 */
public final class WeightMap {

    /** The part of the model a tensor belongs to. */
    public enum Role {
        TOKEN_EMBED, POS_EMBED, READ_IN,
        LN1, QKV, Q, K, V, OUT, LN2, GATE, UP, DOWN,
        FINAL_NORM, UNEMBED
    }

    public enum Part {WEIGHT, BIAS}

    /** Which tensor of the model a slot holds, whatever its name: {@code (UP, WEIGHT, 3)}. */
    public record Key(Role role, Part part, int layer) {
    }

    /**
     * One stored tensor.
     *
     * @param layer  the block, -1 outside the blocks
     * @param layout how a matrix is stored ([out, in] as torch.nn.Linear, [in, out] as GPT-2's Conv1D); null for a
     *               vector or an embedding table ([rows, d])
     */
    public record Slot(Role role, Part part, int layer, String name, int[] shape, Gemm.Layout layout) {
        public Key key() {
            return new Key(role, part, layer);
        }

        public long numel() {
            long n = 1;
            for (int s : shape) n *= s;
            return n;
        }
    }

    private final List<Slot> slots = new ArrayList<>();

    public List<Slot> slots() {
        return List.copyOf(slots);
    }

    /** An embedding table [rows, d] called {@code name}. */
    public WeightMap table(Role role, String name, int rows, int d) {
        slots.add(new Slot(role, Part.WEIGHT, -1, name, new int[]{rows, d}, null));
        return this;
    }

    /** A norm's {@code prefix.weight} [d], and {@code prefix.bias} [d] when {@code bias}. */
    public WeightMap norm(Role role, int layer, String prefix, int d, boolean bias) {
        slots.add(new Slot(role, Part.WEIGHT, layer, prefix + ".weight", new int[]{d}, null));
        if (bias) slots.add(new Slot(role, Part.BIAS, layer, prefix + ".bias", new int[]{d}, null));
        return this;
    }

    /** torch.nn.Linear: {@code prefix.weight} [out, in], {@code prefix.bias} [out] when {@code bias}. */
    public WeightMap linear(Role role, int layer, String prefix, int in, int out, boolean bias) {
        slots.add(new Slot(role, Part.WEIGHT, layer, prefix + ".weight", new int[]{out, in}, Gemm.Layout.OUT_IN));
        if (bias) slots.add(new Slot(role, Part.BIAS, layer, prefix + ".bias", new int[]{out}, null));
        return this;
    }

    /** A bias [n] alone, its weight stored elsewhere (GPT-J's lm_head.bias when the weight is tied to wte). */
    public WeightMap bias(Role role, int layer, String name, int n) {
        slots.add(new Slot(role, Part.BIAS, layer, name, new int[]{n}, null));
        return this;
    }

    /** GPT-2's Conv1D: {@code prefix.weight} [in, out] and {@code prefix.bias} [out]. */
    public WeightMap conv1d(Role role, int layer, String prefix, int in, int out) {
        slots.add(new Slot(role, Part.WEIGHT, layer, prefix + ".weight", new int[]{in, out}, Gemm.Layout.IN_OUT));
        slots.add(new Slot(role, Part.BIAS, layer, prefix + ".bias", new int[]{out}, null));
        return this;
    }

    /** Parameters as Hugging Face counts them: every stored tensor once (a tied unembedding is not stored). */
    public long parameterCount() {
        long n = 0;
        for (Slot s : slots) n += s.numel();
        return n;
    }
}
