package org.mesascope.ui;

import javafx.scene.Scene;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.StackPane;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Canvas heatmap on its own: 13 × 1024 cells (a 12-layer lens over a long prompt), clicks and keys. */
@ExtendWith(ApplicationExtension.class)
class HeatmapTest {
    private static final int ROWS = 13, COLUMNS = 1024;
    private Heatmap map;

    @Start
    void start(Stage stage) {
        map = new Heatmap();
        double[] values = new double[ROWS * COLUMNS];
        String[] text = new String[ROWS * COLUMNS];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i % COLUMNS) / (double) COLUMNS;
            text[i] = "t" + i;
        }
        List<String> rows = new ArrayList<>(), columns = new ArrayList<>();
        for (int r = 0; r < ROWS; r++) rows.add("row " + r);
        for (int c = 0; c < COLUMNS; c++) columns.add("c" + c);
        map.setData(new Heatmap.Data(ROWS, COLUMNS, values, text, rows, columns));
        stage.setScene(new Scene(new StackPane(map), 1000, 500));
        stage.show();
    }

    @Test
    void clickSelectsTheCellUnderThePointer(FxRobot robot) {
        robot.clickOn(map.localToScreen(map.cellCentre(4, 10)));
        assertEquals(4, map.selectedRowProperty().get());
        assertEquals(10, map.selectedColumnProperty().get());
        assertEquals(4, map.hoverRowProperty().get());
    }

    @Test
    void keysMoveTheSelectionAndScrollItIntoView(FxRobot robot) {
        robot.clickOn(map.localToScreen(map.cellCentre(0, 0)));
        robot.type(KeyCode.RIGHT, 2).type(KeyCode.DOWN);
        assertEquals(1, map.selectedRowProperty().get());
        assertEquals(2, map.selectedColumnProperty().get());
        robot.type(KeyCode.UP, 5);
        assertEquals(0, map.selectedRowProperty().get(), "clamped at the first row");
        robot.type(KeyCode.END);
        assertEquals(COLUMNS - 1, map.selectedColumnProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
        // the last column scrolled into view: its centre is inside the canvas
        double x = map.cellCentre(0, COLUMNS - 1).getX();
        assertTrue(x > Heatmap.ROW_LABEL_WIDTH && x < map.getWidth(), "x " + x);
        robot.type(KeyCode.PAGE_UP);
        assertTrue(map.selectedColumnProperty().get() < COLUMNS - 100, "a page is the columns in view");
        robot.type(KeyCode.HOME);
        assertEquals(0, map.selectedColumnProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
        double first = map.cellCentre(0, 0).getX();
        assertTrue(first > Heatmap.ROW_LABEL_WIDTH && first < Heatmap.ROW_LABEL_WIDTH + Heatmap.MAX_CELL_WIDTH, "scrolled back: x " + first);
    }

    @Test
    void coloursAreViridisFromDarkToLight() {
        javafx.scene.paint.Color low = Viridis.color(0), high = Viridis.color(1);
        assertEquals(0x44 / 255.0, low.getRed(), 1e-6);
        assertEquals(0x01 / 255.0, low.getGreen(), 1e-6);
        assertEquals(0xfd / 255.0, high.getRed(), 1e-6);
        assertEquals(0xe7 / 255.0, high.getGreen(), 1e-6);
        assertTrue(Viridis.textOn(0).equals(javafx.scene.paint.Color.WHITE) && Viridis.textOn(1).equals(javafx.scene.paint.Color.BLACK));
    }
}
