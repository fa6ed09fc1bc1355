package org.mesascope.cli.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mesascope.core.model.Models;
import org.mesascope.probes.report.Html;
import org.mesascope.probes.lens.LensReport;
import org.mesascope.probes.linear.ProbeReport;
import org.mesascope.organisms.Gpt2Shape;
import org.mesascope.organisms.OrganismCard;
import org.mesascope.organisms.SearchExample;
import org.mesascope.organisms.SearchFormat;
import org.mesascope.organisms.SearchTask;
import org.mesascope.organisms.Task;
import org.mesascope.organisms.TrainingConfig;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo's search section, exercised before the search organism ships: on a stand-in checkpoint with the search
 * task's vocabulary, and without one.
 */
class DemoSearchTest {
    private static final Pattern PNG = Pattern.compile("src=\"data:image/png;base64,[A-Za-z0-9+/=]+\"");

    /**
     * The search section on a random-weights checkpoint with the search task's vocabulary and no tokenizer: what it
     * probes and shows follows from the task's ground truth, whatever the model does.
     */
    @Test
    void searchSectionRunsOnAnyCheckpointOfTheSearchVocabulary(@TempDir Path folder) throws Exception {
        SearchTask task = SearchTask.training();
        int layers = 2, d = 32;
        DemoCheckpoint.writeWithoutTokenizer(folder, new DemoCheckpoint.Shape(layers, d, 4, task.contextLength(),
                task.vocabulary().size(), 3));
        Gpt2Shape shape = new Gpt2Shape(layers, d, 4, task.contextLength(), task.vocabulary().size());
        OrganismCard card = new OrganismCard("search", "a stand-in <b>for</b> the `search` organism", shape,
                shape.parameterCount(), new TrainingConfig(layers, d, 4, 1e-3, 0, 0, 1, 1, 0, 1, 1), "none", 0, "test", 10,
                Map.of("accuracy", 0.25), 0, List.of(), List.of());
        DemoSearch section;
        try (DemoModel m = new DemoModel("search", card, Models.load("search", folder))) {
            section = DemoSearch.run(List.of(m), task);
        }

        SearchExample shown = task.sampleWithTruth(new SplittableRandom(DemoSearch.SEED));
        Task.Example tokens = shown.encode();
        DemoSearch.Run run = section.runs().getFirst();
        int[] lensTokens = run.lens().tokens().stream().mapToInt(LensReport.TokenInfo::id).toArray();
        int[] expected = DemoText.concat(tokens.prompt(), Arrays.copyOf(tokens.target(), tokens.target().length - 1));
        assertArrayEquals(expected, lensTokens, "the prompt, then the true path (END is not read)");
        assertEquals(layers + 1, run.lens().rows().size());
        for (ProbeReport probe : List.of(run.goal(), run.next())) {
            assertEquals(layers, probe.layers().size());
            assertTrue(probe.labelNames().stream().allMatch(n -> n.matches("n\\d+")), probe.labelNames().toString());
            assertTrue(probe.layers().getFirst().rows() <= DemoSearch.PROBE_EXAMPLES);
        }
        assertTrue(run.goal().labelNames().contains(task.vocabulary().get(SearchFormat.nodeToken(shown.goal()))));

        String html = section.html();
        // without a tokenizer a token's text is "<id>": every prompt has the arrow, id 1
        String arrow = "<" + SearchFormat.ARROW + ">";
        assertFalse(html.contains("<b>") || html.contains(arrow), "model text reached the page unescaped");
        assertTrue(html.contains("a stand-in &lt;b&gt;for&lt;/b&gt; the <code>search</code> organism"), "the card's Markdown");
        assertTrue(html.contains(Html.escape(arrow)));
        assertEquals(2, PNG.matcher(html).results().count(), "the goal and next-node probe charts");
        assertEquals(List.of("search-lens.json", "search-goal-probe.json", "search-next-probe.json"),
                List.copyOf(section.records().keySet()));

        // greedy decoding stops after the format's END, or at the end of the context
        List<String> written = List.of(run.completion().split(" "));
        assertTrue(written.indexOf("END") < 0 || written.indexOf("END") == written.size() - 1, run.completion());
        assertTrue(written.size() <= task.contextLength() - tokens.prompt().length, run.completion());
        String summary = summary(section);
        assertTrue(summary.contains("  path    " + DemoText.words(task, tokens.target())), summary);
    }

    /** Probe classes are node labels; a node seen fewer times than there are folds is left out, with its rows. */
    @Test
    void probeLabelsAreTheGroundTruthNodesSeenOncePerFold() {
        SearchTask task = SearchTask.training();
        SplittableRandom random = new SplittableRandom(5);
        List<SearchExample> examples = new ArrayList<>();
        for (int i = 0; i < 120; i++) examples.add(task.sampleWithTruth(random));
        DemoSearch.Labels labels = DemoSearch.labels(task, examples, SearchExample::goal);

        Map<Integer, Integer> count = new HashMap<>();
        for (SearchExample e : examples) count.merge(e.goal(), 1, Integer::sum);
        int folds = DemoSearch.PROBE_OPTIONS.folds();
        List<Integer> kept = Arrays.stream(labels.rows()).boxed().toList();
        for (int i = 0; i < examples.size(); i++) {
            assertEquals(count.get(examples.get(i).goal()) >= folds, kept.contains(i), "example " + i);
        }
        assertTrue(kept.size() < examples.size(), "120 draws over 32 labels leave some rare: the test covers dropping");
        int commonest = 0;
        for (int k = 0; k < kept.size(); k++) {
            int goal = examples.get(kept.get(k)).goal();
            assertEquals("n" + goal, labels.names().get(labels.labels()[k]));
            commonest = Math.max(commonest, count.get(goal));
        }
        assertEquals(count.values().stream().filter(c -> c >= folds).count(), labels.names().size());
        assertEquals((double) commonest / kept.size(), labels.chance(), 1e-15);
    }

    @Test
    void searchSectionSaysWhyWhenTheOrganismIsMissingOrUnfinished(@TempDir Path models) throws Exception {
        Path search = models.resolve("search").toAbsolutePath().normalize();
        assertEquals("search: skipped: no " + search + " yet: the search organism has not been shipped; this section"
                + " runs once it is there\n", summary(DemoSearch.run(models)));
        // training creates the folder first and writes organism.json last
        Files.createDirectories(search);
        DemoSection training = DemoSearch.run(models);
        assertEquals("search: skipped: " + search + " has no organism.json yet (still training?); this section runs once"
                + " it is there\n", summary(training));
        assertTrue(training.records().isEmpty());
        assertTrue(training.html().contains("has no organism.json yet"));
    }

    private static String summary(DemoSection section) {
        StringWriter out = new StringWriter();
        section.summarize(new PrintWriter(out, true));
        return out.toString();
    }
}
