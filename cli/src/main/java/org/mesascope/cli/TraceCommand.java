package org.mesascope.cli;

import org.mesascope.cli.support.Outputs;
import org.mesascope.core.io.SafetensorsWriter;
import org.mesascope.core.tensor.Batch;
import org.mesascope.core.model.LoadedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code mesascope trace}: hook values of one forward pass as a safetensors file. */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = {"Save a prompt's hook points to a safetensors file.",
                "Float32 tensors named as the hooks (TransformerLens names), batch dimension dropped; metadata: "
                        + "tokens and hooks (JSON arrays), model, and prompt when given as text."})
final class TraceCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Mixin
    ModelInput input;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "the .safetensors file to write")
    Path out;

    @Option(names = "--hooks", split = ",", defaultValue = "*", paramLabel = "GLOB",
            description = "hooks to save, comma-separated globs: blocks.*.hook_resid_post,logits (default: all)")
    List<String> hooks;

    @Override
    public Integer call() {
        Outputs.checkWritable(out);
        try (LoadedModel m = input.load()) {
            if (input.vectorsFile() != null) {
                float[] vectors = input.vectors(m);
                main.selectDevice();
                int width = m.config().vectors().inputDim();
                Trace trace = Trace.capture(m.model(), Batch.ofVectors(width, vectors), hooks);
                try (SafetensorsWriter w = SafetensorsWriter.create(out)) {
                    trace.addTo(w);
                    w.add("input_vectors", vectors, vectors.length / width, width);
                    w.metadata("model", m.name()).metadata("hooks", Json.of(hooks))
                            .metadata("vectors", input.vectorsFile().toString());
                    w.commit();
                }
                main.err().println("wrote " + trace.tensors().size() + " tensors (" + trace.size() + ") to " + out);
                return 0;
            }
            int[] tokens = input.tokens(m, 0);
            main.selectDevice();
            Trace trace = Trace.capture(m.model(), tokens, hooks);
            write(trace, out, m.name(), tokens, hooks, input.text());
            main.err().println("wrote " + trace.tensors().size() + " tensors (" + trace.size() + ") to " + out);
        }
        return 0;
    }

    /** The trace file: tensors named as hooks, and metadata saying what produced them (null {@code prompt}: --tokens). */
    static void write(Trace trace, Path out, String model, int[] tokens, List<String> hooks, String prompt) {
        // the writer's temp file goes away on close unless commit() renamed it into place
        try (SafetensorsWriter w = SafetensorsWriter.create(out)) {
            trace.addTo(w);
            w.metadata("tokens", Json.of(tokens)).metadata("model", model).metadata("hooks", Json.of(hooks));
            if (prompt != null) w.metadata("prompt", prompt);
            w.commit();
        }
    }
}
