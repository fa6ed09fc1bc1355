package org.mesascope.ui;

import javafx.beans.property.IntegerProperty;
import javafx.beans.property.SimpleIntegerProperty;

/**
 * The selection every view shares: a lens row (the residual entering block {@code row}, or after the last block for
 * row = layers) and a position. Clicking a cell in one view sets both, and the others follow.
 */
public final class Selection {
    private final IntegerProperty row = new SimpleIntegerProperty(this, "row", 0);
    private final IntegerProperty position = new SimpleIntegerProperty(this, "position", 0);

    public IntegerProperty rowProperty() {
        return row;
    }

    public IntegerProperty positionProperty() {
        return position;
    }

    public int row() {
        return row.get();
    }

    public int position() {
        return position.get();
    }
}
