package org.mesascope.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No package of any module's main code depends, through any chain, on a package that depends back on it
 * (docs/architecture.md: module and package arrows point one way). Dependencies are read from the sources: every
 * {@code org.mesascope.a.b.Type} an import or a qualified name mentions.
 */
class PackageCyclesTest {
    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    /** A qualified Mesascope type: lower-case package segments, then an upper-case type name. */
    private static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/|//[^\n]*", Pattern.DOTALL);
    private static final Pattern TYPE = Pattern.compile("\\borg\\.mesascope((?:\\.[a-z]\\w*)*)\\.[A-Z]");

    @Test
    void noPackageCycles() throws IOException {
        Map<String, Set<String>> deps = dependencies(Path.of("").toAbsolutePath().getParent());
        assertTrue(deps.size() > 20, "read the sources of every module: " + deps.keySet());
        assertEquals(List.of(), cycles(deps), "packages that depend on each other");
    }

    /** Package → the packages its main sources name, for every module beside this one. */
    static Map<String, Set<String>> dependencies(Path root) throws IOException {
        Map<String, Set<String>> deps = new TreeMap<>();
        List<Path> sources;
        try (Stream<Path> files = Files.walk(root, 12)) {
            sources = files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/java/")
                    && !p.toString().contains("/target")).toList();
        }
        for (Path file : sources) {
            // comments may name any type; only code counts
            String text = COMMENT.matcher(Files.readString(file)).replaceAll(" ");
            Matcher pkg = PACKAGE.matcher(text);
            if (!pkg.find()) continue;
            Set<String> mine = deps.computeIfAbsent(pkg.group(1), k -> new TreeSet<>());
            Matcher type = TYPE.matcher(text);
            while (type.find()) {
                String other = "org.mesascope" + type.group(1);
                if (!other.equals(pkg.group(1))) mine.add(other);
            }
        }
        return deps;
    }

    /** Strongly connected components of more than one package (Tarjan), each sorted. */
    static List<List<String>> cycles(Map<String, Set<String>> deps) {
        Map<String, Integer> index = new HashMap<>(), low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        List<List<String>> out = new ArrayList<>();
        for (String v : deps.keySet()) if (!index.containsKey(v)) connect(v, deps, index, low, stack, out);
        return out;
    }

    private static void connect(String v, Map<String, Set<String>> deps, Map<String, Integer> index,
                                Map<String, Integer> low, Deque<String> stack, List<List<String>> out) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.push(v);
        for (String w : deps.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, deps, index, low, stack, out);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (stack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) out.add(List.copyOf(component));
        }
    }

    @Test
    void findsACycleWhenThereIsOne() {
        Map<String, Set<String>> deps = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d", Set.of("a"));
        assertEquals(List.of(List.of("a", "b", "c")), cycles(new TreeMap<>(deps)));
    }
}
