package org.mesascope.ui;

import javafx.scene.Scene;
import javafx.stage.Stage;

import java.nio.file.Path;

/** The app's one window: a {@link Workbench} that opens a model and runs a prompt as soon as it shows. */
public final class MesascopeApp {
    private MesascopeApp() {
    }

    /** Shows the window on {@code stage} and starts the first run. Call on the FX thread. */
    static Workbench show(Stage stage, UiMain.FirstRun first) {
        Workbench workbench = new Workbench(Path.of(System.getProperty("user.home"), ".mesascope", "ui-recent-models"));
        stage.setTitle("Mesascope");
        stage.setScene(new Scene(workbench, 1280, 800));
        stage.show();
        workbench.open(first.model(), first.prompt());
        return workbench;
    }
}
