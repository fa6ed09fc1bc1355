package org.mesascope.ui;

import javafx.application.Application;
import javafx.scene.Scene;
import javafx.stage.Stage;

import java.nio.file.Path;

/** The JavaFX application: one {@link Workbench} window, which opens a shipped organism on start. */
public final class MesascopeApp extends Application {
    /** Set by {@link UiMain} from the command line before the launch. */
    static volatile UiMain.FirstRun first = new UiMain.FirstRun(Workbench.FIRST_MODEL, Workbench.FIRST_PROMPT);
    private Workbench workbench;

    @Override
    public void start(Stage stage) {
        workbench = new Workbench(Path.of(System.getProperty("user.home"), ".mesascope", "ui-recent-models"));
        stage.setTitle("Mesascope");
        stage.setScene(new Scene(workbench, 1280, 800));
        stage.show();
        workbench.open(first.model(), first.prompt());
    }

    @Override
    public void stop() {
        if (workbench != null) workbench.close();
    }
}
