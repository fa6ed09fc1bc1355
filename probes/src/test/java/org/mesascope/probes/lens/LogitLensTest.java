package org.mesascope.probes.lens;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.model.Models;
import org.mesascope.core.reference.RandomCheckpoints;
import org.mesascope.core.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What holds for any lens report, whatever the model: the last row is the model's output, targets, ranks, errors. */
class LogitLensTest {
    @TempDir
    Path tmp;

    @Test
    void lastRowIsTheModelsOutput() {
        try (LoadedModel m = Models.load("stories260k", Fixtures.stories260k())) {
            int[] tokens = Fixtures.STORIES_TOKENS;
            LensReport report = LogitLens.run(m, tokens, 3, null);
            int vocab = m.config().vocabSize();
            float[] logits = m.model().forward(Batch.of(tokens), new HookRegistry()).data();

            LensReport.Row last = report.rows().getLast();
            assertEquals("blocks.4.hook_resid_post", last.hook());
            for (int t = 0; t < tokens.length; t++) {
                LensReport.Position p = last.positions().get(t);
                assertEquals(0, p.klToFinal(), 1e-6, "KL of the model's own distribution to itself");
                int argmax = 0;
                for (int i = 1; i < vocab; i++) if (logits[t * vocab + i] > logits[t * vocab + argmax]) argmax = i;
                assertEquals(argmax, p.top().getFirst().id(), "top-1 is the model's argmax at position " + t);
                double sum = 0;
                for (int i = 0; i < vocab; i++) sum += Math.exp(logits[t * vocab + i] - logits[t * vocab + argmax]);
                assertEquals(1 / sum, p.top().getFirst().prob(), 1e-9, "softmax of the model's logits");
            }
            assertEquals(m.tokenizer().tokenText(tokens[1]), report.tokens().get(1).text());
            assertEquals("stories260k", report.model());
        }
    }

    @Test
    void givenTargetsAreScoredWithTheirRank() {
        try (LoadedModel m = Models.load("stories260k", Fixtures.stories260k())) {
            int[] tokens = Fixtures.STORIES_TOKENS;
            int[] targets = new int[tokens.length];
            Arrays.fill(targets, 261);
            targets[0] = LensRunner.NO_TARGET;
            LensReport report = LogitLens.run(m, tokens, 1, targets);
            int vocab = m.config().vocabSize();
            float[] logits = m.model().forward(Batch.of(tokens), new HookRegistry()).data();

            for (int t = 0; t < tokens.length; t++) {
                LensReport.Position p = report.rows().getLast().positions().get(t);
                if (t == 0) {
                    assertNull(p.target());
                    continue;
                }
                int above = 0;
                for (int i = 0; i < vocab; i++) if (logits[t * vocab + i] > logits[t * vocab + 261]) above++;
                assertEquals(261, p.target().id());
                assertEquals(above + 1, p.target().rank(), "rank at position " + t);
                assertTrue(p.target().prob() <= p.top().getFirst().prob());
            }
        }
    }

    /** A random GPT-2 without a tokenizer: texts are "<id>", and top-k beyond the vocabulary lists all of it. */
    @Test
    void withoutTokenizerAndWholeVocabulary() throws IOException {
        Path dir = RandomCheckpoints.write(tmp.resolve("gpt2"), RandomCheckpoints.GPT2, 7);
        try (LoadedModel m = Models.load("random", dir)) {
            int vocab = m.config().vocabSize();
            LensReport report = LogitLens.run(m.model(), null, "random", new int[] {4, 8, 15}, vocab + 10, null);
            assertEquals("<8>", report.tokens().get(1).text());
            for (LensReport.Row row : report.rows()) {
                for (LensReport.Position p : row.positions()) {
                    assertEquals(vocab, p.top().size());
                    double sum = 0;
                    for (int i = 0; i < vocab; i++) {
                        sum += p.top().get(i).prob();
                        if (i > 0) assertTrue(p.top().get(i).prob() <= p.top().get(i - 1).prob(), "most probable first");
                    }
                    assertEquals(1, sum, 1e-9);
                    assertEquals("<" + p.top().getFirst().id() + ">", p.top().getFirst().text());
                }
            }
        }
    }

    /** The seam a tuned lens plugs into: called once per row, in order, with that row's [T, d] residuals. */
    @Test
    void customLensSeesEveryRow() throws IOException {
        Path dir = RandomCheckpoints.write(tmp.resolve("neox"), RandomCheckpoints.NEOX_PARALLEL, 3);
        try (LoadedModel m = Models.load("random", dir)) {
            int vocab = m.config().vocabSize();
            List<String> calls = new ArrayList<>();
            Lens uniform = (row, residual) -> {
                calls.add(row + ":" + residual.dim(0) + "x" + residual.dim(1));
                return Tensor.zeros(residual.dim(0), vocab);
            };
            LensReport report = LensRunner.run(uniform, m.model(), null, "random", new int[] {1, 2, 3, 4}, 2, null);
            int d = m.config().dModel();
            assertEquals(List.of("0:4x" + d, "1:4x" + d, "2:4x" + d), calls);
            LensReport.Position p = report.rows().getFirst().positions().get(2);
            assertEquals(Math.log(vocab), p.entropy(), 1e-12);
            assertEquals(1.0 / vocab, p.top().getFirst().prob(), 1e-15);
            assertEquals(0, p.top().getFirst().id(), "ties go to the lower id");
            assertEquals(1, p.target().rank(), "every token ties for first");
            assertEquals(List.of("blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre", "blocks.1.hook_resid_post"),
                    report.rows().stream().map(LensReport.Row::hook).toList());
        }
    }

    @Test
    void badArgumentsAreOneLineErrors() throws IOException {
        Path dir = RandomCheckpoints.write(tmp.resolve("llama"), RandomCheckpoints.LLAMA_GQA, 1);
        try (LoadedModel m = Models.load("random", dir)) {
            int vocab = m.config().vocabSize();
            assertThrows(MesascopeException.class, () -> LogitLens.run(m, new int[] {1, 2}, 0, null));
            assertThrows(MesascopeException.class, () -> LogitLens.run(m, new int[] {1, 2}, 5, new int[] {1}));
            assertThrows(MesascopeException.class, () -> LogitLens.run(m, new int[] {1, 2}, 5, new int[] {1, vocab}));
            assertThrows(MesascopeException.class, () -> LogitLens.run(m, new int[] {}, 5, null));
        }
    }
}
