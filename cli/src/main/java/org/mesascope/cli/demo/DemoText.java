package org.mesascope.cli.demo;

import org.mesascope.probes.linear.ProbeReport;
import org.mesascope.organisms.OrganismCard;
import org.mesascope.organisms.Task;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Token sequences as the organisms' words, and the demo's terminal tables. */
final class DemoText {
    private DemoText() {
    }

    /** Space-separated words (organism vocabularies are word-level) as token ids of {@code task}. */
    static int[] ids(Task task, String words) {
        return Arrays.stream(words.split(" ")).mapToInt(w -> task.vocabulary().indexOf(w)).toArray();
    }

    /** Token ids of {@code task} as its words, space-separated. */
    static String words(Task task, int[] ids) {
        return Arrays.stream(ids).mapToObj(task.vocabulary()::get).collect(Collectors.joining(" "));
    }

    /** {@code a} followed by {@code b}: a prompt and what comes after it. */
    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** One line per layer, one column per model: mean ± std of the cross-validated score. */
    static void printProbes(PrintWriter o, Map<String, ProbeReport> reports) {
        List<List<String>> table = new ArrayList<>();
        table.add(new ArrayList<>(List.of("layer")));
        table.getFirst().addAll(reports.keySet());
        List<ProbeReport.Layer> layers = reports.values().iterator().next().layers();
        for (int i = 0; i < layers.size(); i++) {
            List<String> line = new ArrayList<>(List.of(String.valueOf(layers.get(i).layer())));
            for (ProbeReport r : reports.values()) {
                ProbeReport.Layer l = r.layers().get(i);
                line.add(String.format(Locale.ROOT, "%.3f ± %.3f", l.cvMean(), l.cvStd()));
            }
            table.add(line);
        }
        printColumns(o, table);
    }

    /** Left-aligned columns three spaces apart, indented by two. */
    static void printColumns(PrintWriter o, List<List<String>> lines) {
        int[] width = new int[lines.getFirst().size()];
        for (List<String> line : lines) {
            for (int c = 0; c < line.size(); c++) width[c] = Math.max(width[c], line.get(c).length());
        }
        for (List<String> line : lines) {
            StringBuilder sb = new StringBuilder("  ");
            for (int c = 0; c < line.size(); c++) {
                if (c > 0) sb.append("   ");
                sb.append(line.get(c)).append(" ".repeat(width[c] - line.get(c).length()));
            }
            o.println(sb.toString().stripTrailing());
        }
    }

    /** The model card's held-out measurements, in one line. */
    static String measurements(OrganismCard card) {
        return card.heldOut().entrySet().stream()
                .map(e -> e.getKey() + " " + String.format(Locale.ROOT, "%.1f%%", 100 * e.getValue()))
                .collect(Collectors.joining(", "));
    }

    /** Every line of {@code lines} indented by two spaces, as the sections' details are. */
    static String indent(String lines) {
        return lines.lines().map(l -> "  " + l + "\n").collect(Collectors.joining());
    }
}
