package org.mesascope.cli;

import org.mesascope.cli.support.Errors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.hooks.HookRegistry;
import org.mesascope.core.model.Generation;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * {@code mesascope generate}: greedy decoding, to check that a checkpoint loads and runs as it should.
 * Generation stops after {@code --max-new} tokens or after an end-of-sequence token: {@code eos_token_id} of
 * generation_config.json, else of config.json, as transformers' {@code generate} does.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Greedy continuation of a prompt, for sanity checks.",
                "Prints the prompt and the continuation as text, or all token ids with --ids (or when the model "
                        + "has no tokenizer). Stops early after the model's eos_token_id (generation_config.json, else "
                        + "config.json)."})
final class GenerateCommand implements Callable<Integer> {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelInput input;

    @Option(names = "--max-new", defaultValue = "40", paramLabel = "N", description = "tokens to generate at most (default: ${DEFAULT-VALUE})")
    int maxNew;

    @Option(names = "--ids", description = "print the token ids (prompt and continuation, comma-separated) instead of text")
    boolean ids;

    @Override
    public Integer call() {
        if (maxNew < 1) throw new ParameterException(spec.commandLine(), "--max-new must be at least 1, got " + maxNew);
        try (LoadedModel m = input.load()) {
            int[] prompt = input.tokens(m, maxNew);
            int[] stop = eosTokenIds(m.dir());
            main.selectDevice();
            int[] generated = Generation.greedy(m.model(), prompt, maxNew, new HookRegistry(), stop);
            Tokenizer tok = m.tokenizer();
            if (ids || tok == null) {
                main.out().println(IntStream.concat(Arrays.stream(prompt), Arrays.stream(generated))
                        .mapToObj(Integer::toString).collect(Collectors.joining(",")));
            } else {
                String head = input.text() != null ? input.text() : tok.decode(prompt);
                main.out().println(head + tok.decodeContinuation(prompt, generated));
            }
        }
        return 0;
    }


    /**
     * The end-of-sequence ids (a number or a list in the JSON) from generation_config.json if it names any, else from
     * config.json; none when neither does.
     */
    static int[] eosTokenIds(Path dir) {
        for (String name : new String[]{"generation_config.json", "config.json"}) {
            Path file = dir.resolve(name);
            if (!Files.isRegularFile(file)) continue;
            JsonNode eos;
            try {
                eos = JSON.readTree(file.toFile()).path("eos_token_id");
            } catch (IOException e) {
                throw new MesascopeException("cannot read " + file + ": " + Errors.oneLine(e.getMessage()), e);
            }
            if (eos.isInt()) return new int[]{eos.intValue()};
            if (eos.isArray()) {
                int[] out = new int[eos.size()];
                for (int i = 0; i < out.length; i++) {
                    if (!eos.get(i).isInt()) throw new MesascopeException(file + ": eos_token_id must hold integers");
                    out[i] = eos.get(i).intValue();
                }
                return out;
            }
        }
        return new int[0];
    }
}
