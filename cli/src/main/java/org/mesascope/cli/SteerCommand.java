package org.mesascope.cli;

import org.mesascope.cli.support.Outputs;
import org.mesascope.core.MesascopeException;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.core.tokenizer.Tokenizer;
import org.mesascope.probes.report.ReportFiles;
import org.mesascope.probes.steer.ContrastPairs;
import org.mesascope.probes.steer.SteerHooks;
import org.mesascope.probes.steer.SteeredRuns;
import org.mesascope.probes.steer.Steering;
import org.mesascope.probes.steer.SteeringReport;
import org.mesascope.probes.steer.SteeringVector;
import org.mesascope.probes.steer.SteeringVectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code mesascope steer}: a steering vector (ActAdd from two prompts, CAA from contrast pairs, or a saved one) added
 * at one hook while the model continues a prompt; the unsteered and steered continuations side by side, and a sweep
 * of coefficients.
 */
@Command(name = "steer", mixinStandardHelpOptions = true,
        description = {"Steer a model with an activation-addition vector and compare its continuations.",
                "The vector comes from --plus/--minus (ActAdd, Turner et al. 2023: the two prompts' residuals at the "
                        + "hook, per position, added at the front of the prompt), --pairs (CAA, Rimsky et al. 2024: "
                        + "the mean difference at the last token of each pair, added from the prompt's last token on) "
                        + "or --vector (a file saved with --save-vector). Prints the unsteered and steered greedy "
                        + "continuations side by side, then per coefficient of the sweep the top next token, the "
                        + "target's probability and KL(steered || unsteered) at the prompt's last position."})
final class SteerCommand implements Callable<Integer> {
    /** Where the vector goes; by default where its method puts it. */
    enum At {
        FRONT, AFTER_PROMPT, ALL
    }

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelInput input;

    @Option(names = "--plus", paramLabel = "TEXT", description = "ActAdd: the prompt to steer towards (with --minus)")
    String plus;

    @Option(names = "--minus", paramLabel = "TEXT", description = "ActAdd: the prompt to steer away from (with --plus)")
    String minus;

    @Option(names = "--pairs", paramLabel = "FILE", description = "CAA: JSONL of {\"positive\": ..., \"negative\": ...};"
            + " each text ends with the token whose residual is read")
    Path pairs;

    @Option(names = "--vector", paramLabel = "FILE", description = "a steering vector saved with --save-vector")
    Path vectorFile;

    @Option(names = "--hook", paramLabel = "HOOK", description = "where the vector is read and added, e.g."
            + " blocks.6.hook_resid_pre (with --vector: default the file's)")
    String hook;

    @Option(names = "--coef", required = true, paramLabel = "C", description = "the coefficient of the steered run")
    double coef;

    @Option(names = "--coefs", split = ",", paramLabel = "C,...", description = "coefficients to sweep (0 and --coef"
            + " are always included), e.g. 0,2,4,8")
    List<Double> coefs = new ArrayList<>();

    @Option(names = "--at", paramLabel = "WHERE", description = "front (ActAdd),"
            + " after-prompt (CAA: the prompt's last token and every generated one) or all positions; default: the"
            + " vector's method")
    At at;

    @Option(names = "--max-new", paramLabel = "N", description = "tokens to generate at most (default: 20, or what"
            + " the model's context leaves after the prompt); stops after the model's end-of-sequence token")
    Integer maxNew;

    /** Without --max-new: 20 new tokens, fewer when the context is shorter (the organisms have 19 positions). */
    private static final int DEFAULT_MAX_NEW = 20;

    @Option(names = "--target", paramLabel = "TOKEN", description = "the token whose probability the sweep reports"
            + " (text of one token; default: the first token of the steered continuation)")
    String target;

    @Option(names = "--pad-id", paramLabel = "ID", description = "ActAdd: the token that pads the shorter of --plus and"
            + " --minus (default: the tokenizer's one-token space, as in the paper)")
    Integer padId;

    @Option(names = "--save-vector", paramLabel = "FILE", description = "also write the vector as safetensors")
    Path saveVector;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", description = "write the report (steering.json, steering.html,"
            + " steering-sweep.csv, steering-lens.csv) into this folder")
    Path out;

    @Override
    public Integer call() {
        checkArguments();
        if (saveVector != null) Outputs.checkWritable(saveVector);
        if (out != null) Outputs.directory(out);
        List<ContrastPairs.Pair> contrast = pairs == null ? null : ContrastPairs.read(pairs);

        try (LoadedModel m = input.load()) {
            int[] prompt = input.tokens(m, maxNew == null ? 0 : maxNew);
            int newTokens = maxNew != null ? maxNew : Math.min(DEFAULT_MAX_NEW, m.config().maxPositions() - prompt.length);
            if (newTokens < 1) {
                throw new MesascopeException("the prompt of " + prompt.length + " tokens fills the model's context of "
                        + m.config().maxPositions() + " positions: nothing left to generate");
            }
            SteeringVector vector = vector(m, contrast);
            SteerHooks.check(m.model(), vector);
            Steering steering = placement(vector, prompt.length);
            steering.checkPrompt(prompt.length);
            int targetId = targetId(m);
            main.selectDevice();

            SteeringReport report = SteeredRuns.report(m.model(), m.tokenizer(), prompt, steering,
                    new SteeredRuns.SweepConfig(m.name(), input.text(), newTokens, GenerateCommand.eosTokenIds(m.dir()),
                            coefs, targetId));
            if (saveVector != null) {
                vector.save(saveVector);
                main.err().println("wrote " + saveVector);
            }
            print(report, steering);
            if (out != null) {
                try {
                    for (Path f : ReportFiles.write(report, out)) main.err().println("wrote " + f);
                } catch (IOException e) {
                    throw Outputs.cannotWrite(out, e);
                }
            }
        }
        return 0;
    }

    /** Exactly one source of the vector, each with what it needs; checked before the model loads. */
    private void checkArguments() {
        if ((plus == null) != (minus == null)) {
            throw usage(plus != null ? "--plus needs --minus: ActAdd steers by the difference of two prompts"
                    : "--minus needs --plus: ActAdd steers by the difference of two prompts");
        }
        int sources = (plus != null ? 1 : 0) + (pairs != null ? 1 : 0) + (vectorFile != null ? 1 : 0);
        if (sources != 1) {
            throw usage(sources == 0 ? "give the vector: --plus A --minus B, --pairs FILE or --vector FILE"
                    : "give only one of --plus/--minus, --pairs and --vector");
        }
        if (hook == null && vectorFile == null) throw usage("--hook is required with --plus/--minus and --pairs");
        if (maxNew != null && maxNew < 1) throw usage("--max-new must be at least 1, got " + maxNew);
        if (!Double.isFinite(coef)) throw usage("--coef must be a finite number, got " + coef);
        for (double c : coefs) if (!Double.isFinite(c)) throw usage("--coefs must be finite numbers, got " + c);
        if (padId != null && plus == null) throw usage("--pad-id applies only to --plus/--minus");
    }

    private SteeringVector vector(LoadedModel m, List<ContrastPairs.Pair> contrast) {
        if (vectorFile != null) {
            SteeringVector v = SteeringVector.load(vectorFile, hook);
            return hook == null || hook.equals(v.hook()) ? v : v.atHook(hook);
        }
        SteerHooks.check(m.model(), hook); // before any forward pass: a wrong name costs nothing
        Tokenizer tok = tokenizer(m, plus != null ? "--plus/--minus" : "--pairs");
        if (plus != null) {
            int[] p = encode(tok, plus, "--plus"), q = encode(tok, minus, "--minus");
            int pad = p.length == q.length ? 0 : padToken(tok, m.config().vocabSize(), p.length, q.length);
            return SteeringVectors.actAdd(m.model(), hook, p, q, pad, SteeringVector.Provenance.actAdd(m.name(), plus, minus));
        }
        List<int[]> positives = new ArrayList<>(), negatives = new ArrayList<>();
        for (int i = 0; i < contrast.size(); i++) {
            positives.add(encode(tok, contrast.get(i).positive(), pairs + " pair " + (i + 1) + " positive"));
            negatives.add(encode(tok, contrast.get(i).negative(), pairs + " pair " + (i + 1) + " negative"));
        }
        return SteeringVectors.caa(m.model(), hook, positives, negatives,
                SteeringVector.Provenance.caa(m.name(), pairs.getFileName().toString(), contrast.size()));
    }

    /** --at, else ActAdd's front for multi-row vectors and vectors made by ActAdd, CAA's placement otherwise. */
    private Steering placement(SteeringVector v, int promptLength) {
        At where = at != null ? at : v.positions() > 1 || v.provenance().method().equals("actadd") ? At.FRONT : At.AFTER_PROMPT;
        return switch (where) {
            case FRONT -> Steering.actAdd(v, coef);
            case AFTER_PROMPT -> Steering.caa(v, coef, promptLength);
            case ALL -> Steering.everywhere(v, coef);
        };
    }

    private int padToken(Tokenizer tok, int vocab, int plusLength, int minusLength) {
        if (padId != null) {
            if (padId < 0 || padId >= vocab) {
                throw new MesascopeException("--pad-id " + padId + " is outside the vocabulary (ids 0.." + (vocab - 1) + ")");
            }
            return padId;
        }
        int[] space = tok.encode(" ");
        if (space.length != 1) {
            throw new MesascopeException("--plus and --minus have " + plusLength + " and " + minusLength + " tokens and"
                    + " the tokenizer has no one-token space to pad the shorter with; give --pad-id");
        }
        return space[0];
    }

    private int targetId(LoadedModel m) {
        if (target == null) return SteeredRuns.SweepConfig.AUTO_TARGET;
        Tokenizer tok = tokenizer(m, "--target");
        int[] ids = tok.encode(target);
        if (ids.length != 1) {
            throw new MesascopeException("--target '" + target + "' is " + ids.length + " tokens; give the text of one token");
        }
        return ids[0];
    }

    private static Tokenizer tokenizer(LoadedModel m, String what) {
        if (m.tokenizer() == null) {
            throw new MesascopeException(m.name() + " has no tokenizer (tokenizer.json, or vocab.json + merges.txt),"
                    + " which " + what + " needs");
        }
        return m.tokenizer();
    }

    private static int[] encode(Tokenizer tok, String text, String what) {
        int[] ids = tok.encode(text);
        if (ids.length == 0) throw new MesascopeException(what + " has no tokens");
        return ids;
    }

    /** The two continuations side by side, then the sweep. */
    private void print(SteeringReport r, Steering steering) {
        var o = main.out();
        o.println("steering: " + steering.describe());
        o.println("prompt:   " + oneLine(r.prompt() != null ? r.prompt() : joined(r.promptTokens())));
        int width = 38;
        String left = "unsteered (coefficient 0)", right = "steered (coefficient " + num(r.coefficient()) + ")";
        o.println(pad(left, width) + " | " + right);
        o.println("-".repeat(width) + "-+-" + "-".repeat(width));
        List<String> a = wrap(oneLine(r.unsteered().text()), width), b = wrap(oneLine(r.steered().text()), width);
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            o.println(pad(i < a.size() ? a.get(i) : "", width) + " | " + (i < b.size() ? b.get(i) : ""));
        }
        o.println();
        o.println("sweep at the prompt's last position, target " + oneLine(r.target().text()) + " (id " + r.target().id() + "):");
        o.println(String.format(Locale.ROOT, "%10s  %-14s %8s %10s %6s %10s  %s", "coef", "top token", "p(top)",
                "p(target)", "rank", "KL nats", "continuation"));
        for (SteeringReport.Sweep s : r.sweep()) {
            o.println(String.format(Locale.ROOT, "%10s  %-14s %8.4f %10.4f %6d %10.4f  %s", num(s.coefficient()),
                    clip(oneLine(s.top().text()), 14), s.topProb(), s.targetProb(), s.targetRank(), s.klFromUnsteered(),
                    clip(oneLine(s.continuation().text()), 40)));
        }
        o.flush();
    }

    private static String joined(List<SteeringReport.Token> tokens) {
        StringBuilder sb = new StringBuilder();
        for (SteeringReport.Token t : tokens) sb.append(sb.isEmpty() ? "" : ",").append(t.id());
        return sb.toString();
    }

    /** Control characters as escapes (model text must not drive the terminal), line breaks as ⏎. */
    static String oneLine(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') sb.append('⏎');
            else if (Character.isISOControl(c)) sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.toString();
    }

    /** Lines of at most {@code width} code points (a hard wrap: continuations often have no spaces to break at). */
    static List<String> wrap(String s, int width) {
        List<String> lines = new ArrayList<>();
        int[] cps = s.codePoints().toArray();
        for (int from = 0; from < cps.length; from += width) {
            lines.add(new String(cps, from, Math.min(width, cps.length - from)));
        }
        if (lines.isEmpty()) lines.add("");
        return lines;
    }

    private static String pad(String s, int width) {
        int n = s.codePointCount(0, s.length());
        return n >= width ? s : s + " ".repeat(width - n);
    }

    private static String clip(String s, int width) {
        return s.codePointCount(0, s.length()) <= width ? s : s.substring(0, s.offsetByCodePoints(0, width - 1)) + "…";
    }

    private static String num(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x);
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
