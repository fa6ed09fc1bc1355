package org.mesascope.ui;

import javafx.application.Platform;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Runs the app's work off the FX thread, one job at a time on one worker (the loaded model is used by one thread
 * only), with a progress fraction, a cancel, and the outcome as one status line. Results reach the views on the FX
 * thread. Submitting a job cancels the one that is running: the newest request is the one the user wants.
 */
public final class Jobs implements AutoCloseable {
    /** The work of one job; it reports progress through {@code progress} and stops when {@code cancellation} says. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Cancellation cancellation, Consumer<Double> progress) throws Exception;
    }

    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "mesascope-ui-worker");
        t.setDaemon(true);
        return t;
    });
    private final DoubleProperty progress = new SimpleDoubleProperty(0);
    private final BooleanProperty running = new SimpleBooleanProperty(false);
    private final StringProperty status = new SimpleStringProperty("");
    private Cancellation current;
    private int pending;
    private volatile Cancellation.HookListener hookListener = hook -> {};

    public DoubleProperty progressProperty() {
        return progress;
    }

    public BooleanProperty runningProperty() {
        return running;
    }

    public StringProperty statusProperty() {
        return status;
    }

    /**
     * Told of every hook point each job's forward passes reach, on the worker thread. Tests use it to hold a run
     * mid-way (a long run on demand) and cancel it there.
     */
    public void setHookListener(Cancellation.HookListener listener) {
        this.hookListener = listener;
    }

    /** Call on the FX thread. {@code onDone} runs on the FX thread with the result, unless the job failed or was cancelled. */
    public <T> void submit(String what, Work<T> work, Consumer<T> onDone) {
        if (worker.isShutdown()) return; // the window is closing: a late request (a slider's pause ending) has no one to show it to
        if (current != null) current.cancel();
        Cancellation cancellation = new Cancellation();
        cancellation.setListener(hookListener);
        current = cancellation;
        pending++;
        running.set(true);
        progress.set(javafx.scene.control.ProgressIndicator.INDETERMINATE_PROGRESS);
        status.set(what + " …");
        worker.submit(() -> {
            T result = null;
            String outcome;
            try {
                cancellation.check();
                long start = System.nanoTime();
                result = work.run(cancellation, p -> Platform.runLater(() -> {
                    if (current == cancellation) progress.set(p);
                }));
                outcome = what + ": done in " + Math.round((System.nanoTime() - start) / 1e6) + " ms";
            } catch (CancellationException e) {
                outcome = what + ": cancelled";
            } catch (Throwable e) {
                outcome = "error: " + Messages.oneLine(e);
            }
            T done = result;
            boolean ok = done != null;
            String line = outcome;
            Platform.runLater(() -> {
                pending--;
                // a job cancelled because a newer one replaced it says nothing: the newer one speaks
                if (current == cancellation || !line.endsWith(": cancelled")) status.set(line);
                if (ok && !cancellation.isCancelled()) onDone.accept(done);
                if (pending == 0) {
                    running.set(false);
                    progress.set(0);
                }
            });
        });
    }

    /** Cancels the running job (the Cancel button). */
    public void cancel() {
        if (current != null) current.cancel();
    }

    @Override
    public void close() {
        close(() -> {});
    }

    /** Cancels what runs, then runs {@code last} on the worker (closing what only it uses) and stops the worker. */
    public void close(Runnable last) {
        cancel();
        worker.submit(last);
        worker.shutdown();
    }
}
