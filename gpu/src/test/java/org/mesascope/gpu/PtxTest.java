package org.mesascope.gpu;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The committed PTX: what build-ptx.sh makes from kernels.cu, loadable by CUDA 12 and 13 drivers, every kernel there. */
class PtxTest {
    private static final Path MODULE = Path.of(System.getProperty("user.dir"));
    private static final Path PTX = MODULE.resolve("src/main/resources/org/mesascope/gpu/kernels.ptx");

    @Test
    void committedPtxIsWhatTheScriptBuilds() throws Exception {
        Assumptions.assumeTrue(onPath("nvcc") && onPath("ptxas"), "nvcc/ptxas not on PATH: cannot rebuild the PTX here");
        Path out = Files.createTempFile("kernels", ".ptx");
        try {
            Process p = new ProcessBuilder(MODULE.resolve("build-ptx.sh").toString(), out.toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), log);
            assertEquals(Files.readString(PTX), Files.readString(out),
                    "kernels.ptx is stale: run gpu/build-ptx.sh and commit the result");
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @Test
    void ptxHeaderIsOneCuda12DriversRead() throws IOException {
        String ptx = Files.readString(PTX);
        // CUDA 12.0 drivers JIT PTX ISA up to 8.0; compute_75 is the oldest target nvcc 13 writes
        assertTrue(ptx.contains("\n.version 8.0\n"), "PTX ISA must be 8.0");
        assertTrue(ptx.contains("\n.target sm_75\n"), "target must be sm_75");
        assertTrue(ptx.contains("\n.address_size 64\n"));
        assertEquals(ptx, GpuContext.ptx(), "the jar's resource is the committed file");
    }

    @Test
    void everyKernelTheJavaCodeLaunchesIsInThePtx() throws IOException {
        String ptx = Files.readString(PTX);
        Set<String> entries = new TreeSet<>();
        Matcher e = Pattern.compile("\\.visible \\.entry (\\w+)\\(").matcher(ptx);
        while (e.find()) entries.add(e.group(1));
        Set<String> launched = new TreeSet<>();
        Pattern call = Pattern.compile("launch(?:1d|Rows)?\\(\"(\\w+)\"");
        try (Stream<Path> files = Files.walk(MODULE.resolve("src/main/java"))) {
            for (Path f : files.filter(x -> x.toString().endsWith(".java")).toList()) {
                Matcher m = call.matcher(Files.readString(f));
                while (m.find()) launched.add(m.group(1));
            }
        }
        assertTrue(launched.size() >= 10, "found launches: " + launched);
        for (String k : launched) assertTrue(entries.contains(k), "kernel " + k + " is not in kernels.ptx " + entries);
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }
}
