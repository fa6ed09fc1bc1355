package org.mesascope.ui;

import javafx.application.Application;

/**
 * {@code mesascope ui}. Not itself an {@link Application}: with JavaFX on the class path (not the module path) the
 * launcher must be a plain class, or the JVM refuses to start it.
 */
public final class UiMain {
    private UiMain() {
    }

    public static void main(String[] args) {
        Application.launch(MesascopeApp.class, args);
    }
}
