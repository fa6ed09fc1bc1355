package org.mesascope.core.model;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mesascope.core.reference.RandomCheckpoints;
import org.mesascope.core.reference.RandomCheckpoints.Variant;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Every architecture variant of the core issue (GPT-2 with/without prefix, F16, BF16, sharded; NeoX parallel and
 * sequential, partial rotary; Llama GQA, head_dim, llama3 and linear rope scaling, biases; Mistral with and without a
 * sliding window; Qwen2) as a random HF checkpoint, against the float64 reference and against itself unbatched.
 */
class VariantsTest {
    @TempDir
    static Path root;

    static List<Variant> variants() {
        List<Variant> all = new ArrayList<>(RandomCheckpoints.all());
        all.addAll(RandomCheckpoints.extras());
        return all;
    }

    private static Path checkpoint(Variant v) throws IOException {
        return RandomCheckpoints.write(root.resolve(v.name()), v, 42);
    }

    private static int[] tokens(ModelConfig c, int n, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(c.vocabSize());
        return t;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void everyHookMatchesTheReference(Variant v) throws IOException {
        Path dir = checkpoint(v);
        ModelConfig c = ModelConfig.read(dir);
        ForwardVsReferenceTest.assertMatches(dir, tokens(c, 13, 1));
        // the longest sequence the context allows (rotary angles at high positions, learned positions to the end)
        ForwardVsReferenceTest.assertMatches(dir, tokens(c, c.maxPositions(), 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void batchInterventionsAndCache(Variant v) throws IOException {
        Path dir = checkpoint(v);
        try (LoadedModel m = Models.load(dir.toString())) {
            ModelConfig c = m.config();
            int[] a = tokens(c, 11, 3), b = tokens(c, 4, 4), d = tokens(c, 8, 5);
            BatchAndInterventionTest.assertBatchEqualsSingles(m.model(), a, b, d);
            BatchAndInterventionTest.assertIdentityInterventionIsNeutral(m.model(), a);
            BatchAndInterventionTest.assertResidPrePatchMatchesReference(dir, m.model(), a, c.nLayers() - 1);
            BatchAndInterventionTest.assertCacheMatchesFullPass(m.model(), a);
        }
    }
}
