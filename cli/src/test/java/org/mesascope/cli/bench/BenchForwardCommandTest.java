package org.mesascope.cli.bench;

import org.mesascope.cli.demo.DemoCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.cli.Main;
import org.mesascope.core.cpu.Gemm;
import org.mesascope.core.model.ModelConfig;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code mesascope bench forward} end to end on tiny checkpoints (what it prints, not how fast), its bad options, and
 * its operation count. Nothing here times anything.
 */
class BenchForwardCommandTest {
    private record Result(int exit, String out, String err) {
        List<String> lines(String prefix) {
            return out.lines().filter(l -> l.startsWith(prefix)).toList();
        }
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void llamaRowsWithThePeer(@TempDir Path dir) {
        Result r = run("bench", "forward", "--shape", "llama-demo", "--dir", dir.toString(), "--batch", "2", "--tokens", "8",
                "--gemm", "java", "--warmup", "0", "--runs", "1", "--device", "cpu");
        assertEquals(0, r.exit(), r.err());
        List<String> rows = r.lines("row ");
        assertEquals(6, rows.size(), r.out());
        // per hook selection, then the GEMMs: Mesascope's row and libtorch's, timed in turns
        assertTrue(rows.get(0).contains("Mesascope java-vector forward, hooks 'blocks.*.hook_resid_*'"), rows.get(0));
        assertTrue(rows.get(1).contains("libtorch forward, hooks 'blocks.*.hook_resid_*'"), rows.get(1));
        assertTrue(rows.get(2).contains("Mesascope java-vector forward, hooks '*'"), rows.get(2));
        assertTrue(rows.get(4).contains("Mesascope java-vector GEMM (16 x 64 -> 192, model.layers.0.mlp.up_proj.weight)"), rows.get(4));
        assertTrue(rows.get(5).contains("libtorch GEMM"), rows.get(5));
        // both engines streamed the same number of values: 3 resid hooks × 4 layers × 2 × 8 positions × d_model 64
        assertTrue(rows.get(0).contains("(12,288 values per pass"), rows.get(0));
        assertTrue(rows.get(1).contains("(12,288 values per pass"), rows.get(1));
        assertEquals(List.of(), r.lines("note "), "the peer has every hook Mesascope fires");
        assertEquals(1, r.lines("ratio ").size(), r.out());
        // the header, its separator line and one row per measurement
        List<String> markdown = r.lines("markdown ");
        assertEquals(8, markdown.size(), r.out());
        assertTrue(markdown.get(2).startsWith("markdown  | llama-demo | 2x8 | Mesascope java-vector, `blocks.*.hook_resid_*` |"), markdown.get(2));
        assertTrue(markdown.get(3).startsWith("markdown  | llama-demo | 2x8 | libtorch, `blocks.*.hook_resid_*` |"), markdown.get(3));
        assertEquals(6, r.lines("memory ").size(), "memory is sampled for every row where /proc is there");
    }

    @Test
    void bothGemmPathsInOneRunWhereOpenBlasLoads(@TempDir Path dir) {
        assumeTrue(Gemm.openBlasAvailable(), "OpenBLAS did not load on this machine");
        Result r = run("bench", "forward", "--shape", "demo", "--dir", dir.toString(), "--tokens", "8", "--peer", "none",
                "--hooks", "*", "--warmup", "0", "--runs", "2", "--device", "cpu");
        assertEquals(0, r.exit(), r.err());
        List<String> rows = r.lines("row ");
        assertEquals(4, rows.size(), r.out());
        assertTrue(rows.get(0).contains("Mesascope java-vector forward"), rows.get(0));
        assertTrue(rows.get(1).contains("Mesascope openblas-"), rows.get(1));
        assertTrue(rows.get(2).contains("Mesascope java-vector GEMM"), rows.get(2));
        assertTrue(rows.get(3).contains("Mesascope openblas-"), rows.get(3));
        assertTrue(r.out().contains("--gemm java,openblas"), r.out());
    }

    @Test
    void memoryRunWithoutThePeerAtAnotherDepth(@TempDir Path dir) {
        Result r = run("bench", "forward", "--shape", "llama-demo", "--layers", "2", "--peer", "none", "--dir", dir.toString(),
                "--gemm", "java", "--tokens", "4", "--warmup", "0", "--runs", "1", "--device", "cpu");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("model     random Llama llama-demo, 2 layers: 2 layers"), r.out());
        assertEquals(3, r.lines("row ").size(), r.out());
        assertEquals(List.of(), r.lines("peer "), r.out());
        assertTrue(r.lines("row ").stream().allMatch(l -> l.contains("Mesascope")), r.out());
        assertEquals(List.of(), r.lines("ratio "), r.out());
        assertEquals(2, ModelConfig.read(dir).nLayers());
    }

    @Test
    void kernelsRunsTheJmhBenchmarks() {
        StringWriter out = new StringWriter(), err = new StringWriter();
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream jmh = new java.io.ByteArrayOutputStream();
        int exit;
        // JMH prints its table to System.out; in this JVM (no fork), for one small case, one short iteration
        System.setOut(new java.io.PrintStream(jmh, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            exit = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute("bench", "kernels",
                    "--include", "AttentionBenchmark", "--param", "tokens=128", "--param", "heads=16/4", "--forks", "0",
                    "--warmup", "0", "--runs", "1", "--time-ms", "50");
        } finally {
            System.setOut(stdout);
        }
        String table = jmh.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, exit, err + table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("AttentionBenchmark.attend") && l.contains("16/4") && l.contains("ms/op")), table);

        Result none = run("bench", "kernels", "--include", "NoSuchBenchmark", "--forks", "0", "--runs", "1", "--time-ms", "10");
        assertEquals(Main.FAILURE, none.exit(), none.err());
        assertOneLine(none, "no JMH benchmark matches --include 'NoSuchBenchmark'");
    }

    @Test
    void badOptionsGiveOneLine(@TempDir Path dir) {
        String d = dir.toString();
        assertUsage(run("bench", "backward"), "unknown benchmark 'backward' (known: forward, kernels)");
        assertUsage(run("bench", "kernels", "--param", "path"), "--param wants NAME=VALUE[,VALUE...], got 'path'");
        assertUsage(run("bench", "forward", "--shape", "gpt5"), "unknown shape 'gpt5' (known: gpt2-small, llama-350m, demo, llama-demo)");
        assertUsage(run("bench", "forward", "--peer", "onnx"), "unknown --peer 'onnx' (known: libtorch, none)");
        assertUsage(run("bench", "forward", "--gemm", "java,mkl"), "unknown --gemm 'mkl' (known: java, openblas)");
        assertUsage(run("bench", "forward", "--layers", "0"), "--layers must be positive");
        assertUsage(run("bench", "forward", "--batch", "0"), "--batch, --tokens and --runs must be positive");
        assertUsage(run("bench", "forward", "--runs", "0"), "--batch, --tokens and --runs must be positive");
        assertUsage(run("bench", "forward", "--shape", "llama-demo", "--tokens", "129"), "--tokens exceeds the context of 128");
        assertUsage(run("bench", "forward", "--hooks", " "), "--hooks is empty");
        assertUsage(run("bench", "forward", "--layers", "six"), "Invalid value for option '--layers'");

        // a kept checkpoint of another shape is not benchmarked as if it were the one asked for
        DemoCheckpoint.writeWithoutTokenizer(dir, DemoCheckpoint.Shape.llama(2, 32, 4, 2, 64, 128, 257, 0));
        Result r = run("bench", "forward", "--shape", "llama-demo", "--dir", d, "--device", "cpu");
        assertEquals(Main.FAILURE, r.exit(), r.err());
        assertOneLine(r, "holds a llama checkpoint of another shape (2 layers, d_model 32); remove it or give another --dir");
    }

    @Test
    void operationCountOfGpt2IsTheFormerOneAndLlamaCountsItsGroupsAndGate(@TempDir Path dir) {
        DemoCheckpoint.writeWithoutTokenizer(dir.resolve("gpt2"), new DemoCheckpoint.Shape(2, 32, 4, 64, 100, 0));
        DemoCheckpoint.writeWithoutTokenizer(dir.resolve("llama"), DemoCheckpoint.Shape.llama(2, 32, 4, 2, 80, 64, 100, 0));
        ModelConfig gpt2 = ModelConfig.read(dir.resolve("gpt2")), llama = ModelConfig.read(dir.resolve("llama"));
        int t = 10;
        // per token and layer: d·3d + d·d + 2·d·4d multiply-adds; attention: 2·d per (query, visible key) pair
        double perToken = 2.0 * (32 * 96 + 32 * 32 + 2 * 32 * 128) * 2 + 2.0 * 32 * 100;
        assertEquals(3 * (perToken * t + 2.0 * 2 * 2 * 32 * 55), ForwardBench.flops(gpt2, 3, t), 1e-6);
        // q 32→32, k and v 32→16 (2 of 4 heads), o 32→32, gate and up 32→80, down 80→32
        double llamaPerToken = 2.0 * (32 * 32 + 2 * 32 * 16 + 32 * 32 + 3 * 32 * 80) * 2 + 2.0 * 32 * 100;
        assertEquals(llamaPerToken * t + 2.0 * 2 * 2 * 32 * 55, ForwardBench.flops(llama, 1, t), 1e-6);
    }

    private static void assertUsage(Result r, String expected) {
        assertEquals(Main.USAGE, r.exit(), r.err());
        assertOneLine(r, expected);
    }

    private static void assertOneLine(Result r, String expected) {
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), "exactly one line on stderr, got:\n" + r.err());
        assertTrue(lines.getFirst().startsWith("mesascope: "), lines.getFirst());
        assertTrue(lines.getFirst().contains(expected), "expected \"" + expected + "\" in: " + lines.getFirst());
        assertFalse(lines.getFirst().contains("Exception"), lines.getFirst());
        assertEquals("", r.out());
    }
}
