package org.mesascope.ui;

import org.mesascope.core.MesascopeException;

/** Errors as the one line a user reads in the status bar: the cause, never a stack trace. */
public final class Messages {
    private Messages() {
    }

    public static String oneLine(Throwable e) {
        Throwable t = e;
        // wrappers (executor, reflection) carry the real cause one level down
        while (t.getCause() != null && (t.getMessage() == null || t instanceof java.util.concurrent.ExecutionException
                || t instanceof java.lang.reflect.InvocationTargetException)) {
            t = t.getCause();
        }
        String message = t.getMessage();
        String text;
        if (t instanceof OutOfMemoryError) {
            text = "out of memory: the model and its activations do not fit in the Java heap (raise it, e.g. MESASCOPE_JAVA_OPTS=-Xmx32g)";
        } else if (t instanceof MesascopeException || t instanceof IllegalArgumentException) {
            text = message == null ? t.getClass().getSimpleName() : message;
        } else {
            text = t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
        }
        return text.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
