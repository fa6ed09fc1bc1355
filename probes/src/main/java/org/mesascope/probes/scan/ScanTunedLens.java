package org.mesascope.probes.scan;

import org.mesascope.core.model.LanguageModel;
import org.mesascope.core.model.LoadedModel;
import org.mesascope.probes.lens.Lens;
import org.mesascope.probes.lens.tuned.Corpus;
import org.mesascope.probes.lens.tuned.TunedLens;
import org.mesascope.probes.lens.tuned.TunedLensSettings;
import org.mesascope.probes.lens.tuned.TunedLensTrainer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Tuned lenses trained during a scan, one per scanned model, for the refinement profile under the tuned lens
 * (issue 6: "from the logit and tuned lens"). Organisms ship no tuned lens, and a lens trained on other text would
 * not fit their tasks, so each is trained on sequences drawn from the same task as the scan's prompts (other draws):
 * every sequence cut to the shortest one's length, one window each. tuned-lens's objective and optimizer, with a
 * budget that suits models of a few hundred thousand parameters ({@link #settings}).
 * <p>
 * Applied to a model it was not given, it throws {@link Heuristic.NotApplicable}, so a heuristic that uses it is
 * reported as skipped rather than failing the scan.
 */
public final class ScanTunedLens implements Function<LanguageModel, Lens> {
    private final List<LoadedModel> models;
    private final Map<LanguageModel, TunedLens> trained = new IdentityHashMap<>();
    private final Corpus.Windows corpus;
    private final TunedLensSettings settings;

    /**
     * @param sequences the task's sequences; the first ones fill the held-out windows of {@code settings}
     * @param models    the models it may be applied to (the scanned model and its control), read when it is applied
     *                  (so a caller may add the control once it is loaded)
     */
    public ScanTunedLens(List<int[]> sequences, TunedLensSettings settings, List<LoadedModel> models) {
        int length = sequences.stream().mapToInt(s -> s.length).min().orElseThrow();
        List<int[]> windows = new ArrayList<>(sequences.size());
        for (int[] s : sequences) windows.add(Arrays.copyOf(s, length));
        this.corpus = new Corpus.Windows(List.copyOf(windows), length, (long) length * windows.size(), true);
        this.settings = settings.withSeqLen(length);
        this.models = models;
    }

    /**
     * A small budget for tiny models: 100 steps of 4,096 tokens (tuned-lens's learning rate, momentum, weight decay
     * and clipping), 1,024 held-out tokens, one thread.
     */
    public static TunedLensSettings settings(int steps, long seed) {
        return TunedLensSettings.defaults().withSteps(steps).withTokensPerStep(4096).withEvalTokens(1024)
                .withSeed(seed).withThreads(1);
    }

    @Override
    public Lens apply(LanguageModel model) {
        LoadedModel m = models.stream().filter(l -> l.model() == model).findFirst()
                .orElseThrow(() -> new Heuristic.NotApplicable("no tuned lens for this model"));
        return trained.computeIfAbsent(model, k -> TunedLensTrainer.train(m, corpus, settings,
                "scan task sequences", (step, steps, loss) -> { }));
    }
}
