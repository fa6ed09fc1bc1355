package org.mesascope.ui;

import javafx.beans.property.IntegerProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.geometry.Orientation;
import javafx.geometry.VPos;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.control.ScrollBar;
import javafx.scene.control.Tooltip;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.WritableImage;
import javafx.scene.input.KeyEvent;
import javafx.scene.input.MouseEvent;
import javafx.scene.layout.Region;
import javafx.scene.paint.Color;
import javafx.scene.text.Font;
import javafx.scene.text.TextAlignment;
import org.mesascope.probes.report.Html;

import java.util.List;
import java.util.function.BiFunction;

/**
 * A rows × columns heatmap drawn on a {@link Canvas} (a chart library is too slow for 12 × 1024 cells): viridis
 * colours for values in [0, 1], optional text per cell, row and column labels, a selected cell (click, or the arrow
 * keys, Home/End, Page Up/Down) and a hover text. Only the columns in view are drawn; a scroll bar moves the view
 * when the columns do not fit at the smallest cell width.
 */
public final class Heatmap extends Region {
    static final double ROW_LABEL_WIDTH = 150, COLUMN_LABEL_HEIGHT = 34, MIN_CELL_WIDTH = 2, MAX_CELL_WIDTH = 64, MAX_CELL_HEIGHT = 64;
    static final double MIN_TEXT_CELL_WIDTH = 22;
    private static final Font CELL_FONT = Font.font("DejaVu Sans", 11);
    private static final Font LABEL_FONT = Font.font("DejaVu Sans", 11);
    private static final Color SELECTION = Color.web("#ff3b30");

    /** What a heatmap shows. {@code values} row-major in [0, 1]; {@code cellText} null or row-major. */
    public record Data(int rows, int columns, double[] values, String[] cellText, List<String> rowLabels,
                       List<String> columnLabels) {
        public Data {
            if (values.length != rows * columns) throw new IllegalArgumentException(values.length + " values for " + rows + "×" + columns);
            if (cellText != null && cellText.length != values.length) throw new IllegalArgumentException("one text per cell");
        }

        double value(int row, int column) {
            return values[row * columns + column];
        }
    }

    private final Canvas canvas = new Canvas();
    private final ScrollBar scroll = new ScrollBar();
    private final Tooltip tooltip = new Tooltip();
    private final IntegerProperty selectedRow = new SimpleIntegerProperty(this, "selectedRow", -1);
    private final IntegerProperty selectedColumn = new SimpleIntegerProperty(this, "selectedColumn", -1);
    private final IntegerProperty hoverRow = new SimpleIntegerProperty(this, "hoverRow", -1);
    private final IntegerProperty hoverColumn = new SimpleIntegerProperty(this, "hoverColumn", -1);
    private Data data;
    private BiFunction<Integer, Integer, String> hoverText = (r, c) -> "";
    private double cellWidth, cellHeight;
    private int firstColumn;
    private String legendLow = "0", legendHigh = "1";
    private WritableImage cellImage;
    private int[] cellPixels;

    public Heatmap() {
        getChildren().addAll(canvas, scroll);
        scroll.setOrientation(Orientation.HORIZONTAL);
        scroll.valueProperty().addListener((o, a, b) -> {
            firstColumn = (int) Math.round(b.doubleValue());
            redraw();
        });
        setFocusTraversable(true);
        setMinSize(200, 120);
        canvas.addEventHandler(MouseEvent.MOUSE_PRESSED, e -> {
            requestFocus();
            int[] cell = cellAt(e.getX(), e.getY());
            if (cell != null) select(cell[0], cell[1]);
        });
        canvas.addEventHandler(MouseEvent.MOUSE_MOVED, e -> {
            int[] cell = cellAt(e.getX(), e.getY());
            hoverRow.set(cell == null ? -1 : cell[0]);
            hoverColumn.set(cell == null ? -1 : cell[1]);
            if (cell == null) Tooltip.uninstall(canvas, tooltip);
            else {
                tooltip.setText(hoverText.apply(cell[0], cell[1]));
                Tooltip.install(canvas, tooltip);
            }
        });
        addEventHandler(KeyEvent.KEY_PRESSED, this::key);
        selectedRow.addListener((o, a, b) -> redraw());
        selectedColumn.addListener((o, a, b) -> {
            scrollTo(b.intValue());
            redraw();
        });
    }

    public IntegerProperty selectedRowProperty() {
        return selectedRow;
    }

    public IntegerProperty selectedColumnProperty() {
        return selectedColumn;
    }

    public IntegerProperty hoverRowProperty() {
        return hoverRow;
    }

    public IntegerProperty hoverColumnProperty() {
        return hoverColumn;
    }

    public void setHoverText(BiFunction<Integer, Integer, String> hoverText) {
        this.hoverText = hoverText;
    }

    /** The hover text of a cell, as the tooltip shows it. */
    public String hoverText(int row, int column) {
        return hoverText.apply(row, column);
    }

    public Data data() {
        return data;
    }

    public void setData(Data data) {
        this.data = data;
        if (data != null) {
            if (selectedRow.get() >= data.rows()) selectedRow.set(data.rows() - 1);
            if (selectedColumn.get() >= data.columns()) selectedColumn.set(data.columns() - 1);
        }
        requestLayout();
        layoutChildren();
    }

    public void select(int row, int column) {
        if (data == null) return;
        selectedRow.set(Math.clamp(row, 0, data.rows() - 1));
        selectedColumn.set(Math.clamp(column, 0, data.columns() - 1));
    }

    /** The canvas the cells are drawn on (for snapshots and the benchmark). */
    public Canvas canvas() {
        return canvas;
    }

    private void key(KeyEvent e) {
        if (data == null) return;
        int r = Math.max(0, selectedRow.get()), c = Math.max(0, selectedColumn.get());
        int page = Math.max(1, visibleColumns() - 1);
        switch (e.getCode()) {
            case LEFT -> c--;
            case RIGHT -> c++;
            case UP -> r--;
            case DOWN -> r++;
            case HOME -> c = 0;
            case END -> c = data.columns() - 1;
            case PAGE_UP -> c -= page;
            case PAGE_DOWN -> c += page;
            default -> {
                return;
            }
        }
        select(r, c);
        e.consume();
    }

    @Override
    protected void layoutChildren() {
        double w = getWidth(), h = getHeight();
        if (data == null) {
            canvas.setWidth(w);
            canvas.setHeight(h);
            scroll.setVisible(false);
            redraw();
            return;
        }
        double plotWidth = Math.max(1, w - ROW_LABEL_WIDTH);
        cellWidth = Math.clamp(plotWidth / data.columns(), MIN_CELL_WIDTH, MAX_CELL_WIDTH);
        boolean needsScroll = cellWidth * data.columns() > plotWidth + 0.5;
        double scrollHeight = needsScroll ? scroll.prefHeight(-1) : 0;
        scroll.setVisible(needsScroll);
        scroll.resizeRelocate(ROW_LABEL_WIDTH, h - scrollHeight, plotWidth, scrollHeight);
        double canvasHeight = h - scrollHeight;
        // rows always fit (a long prompt's attention pattern has as many rows as columns): cells may get thinner than a pixel
        cellHeight = Math.clamp((canvasHeight - COLUMN_LABEL_HEIGHT) / data.rows(), 0.05, MAX_CELL_HEIGHT);
        canvas.setWidth(w);
        canvas.setHeight(canvasHeight);
        int visible = visibleColumns();
        scroll.setMin(0);
        scroll.setMax(Math.max(0, data.columns() - visible));
        scroll.setVisibleAmount(visible);
        firstColumn = Math.clamp(firstColumn, 0, Math.max(0, data.columns() - visible));
        redraw();
    }

    private int visibleColumns() {
        if (data == null || cellWidth <= 0) return 1;
        return Math.max(1, Math.min(data.columns(), (int) ((getWidth() - ROW_LABEL_WIDTH) / cellWidth)));
    }

    private void scrollTo(int column) {
        if (data == null || column < 0) return;
        int visible = visibleColumns();
        if (column < firstColumn) scroll.setValue(column);
        else if (column >= firstColumn + visible) scroll.setValue(column - visible + 1);
    }

    /** The centre of a cell in this region's coordinates, if it is in view (tests point the mouse there). */
    javafx.geometry.Point2D cellCentre(int row, int column) {
        return new javafx.geometry.Point2D(ROW_LABEL_WIDTH + (column - firstColumn + 0.5) * cellWidth,
                COLUMN_LABEL_HEIGHT + (row + 0.5) * cellHeight);
    }

    /** {row, column} under the point, or null. */
    private int[] cellAt(double x, double y) {
        if (data == null || x < ROW_LABEL_WIDTH || y < COLUMN_LABEL_HEIGHT) return null;
        int c = firstColumn + (int) ((x - ROW_LABEL_WIDTH) / cellWidth);
        int r = (int) ((y - COLUMN_LABEL_HEIGHT) / cellHeight);
        return r < data.rows() && c < data.columns() ? new int[]{r, c} : null;
    }

    /** Draws the cells in view: one fillRect per cell, text only where a cell is wide enough to read it. */
    public void redraw() {
        GraphicsContext g = canvas.getGraphicsContext2D();
        g.setFill(Color.WHITE);
        g.fillRect(0, 0, canvas.getWidth(), canvas.getHeight());
        if (data == null) return;
        int visible = visibleColumns(), last = Math.min(data.columns(), firstColumn + visible);
        boolean text = data.cellText() != null && cellWidth >= MIN_TEXT_CELL_WIDTH && cellHeight >= 12;
        g.setFont(CELL_FONT);
        g.setTextAlign(TextAlignment.CENTER);
        g.setTextBaseline(VPos.CENTER);
        if (text) drawCellsWithText(g, last);
        else drawCellsAsImage(g, last);
        g.setFill(Color.BLACK);
        g.setFont(LABEL_FONT);
        g.setTextAlign(TextAlignment.RIGHT);
        int everyRow = Math.max(1, (int) Math.ceil(13 / cellHeight));
        for (int r = 0; r < data.rows(); r += everyRow) {
            g.fillText(data.rowLabels().get(r), ROW_LABEL_WIDTH - 4, COLUMN_LABEL_HEIGHT + (r + 0.5) * cellHeight, ROW_LABEL_WIDTH - 6);
        }
        g.setTextAlign(TextAlignment.CENTER);
        // a label per column when there is room, else every k-th one
        int every = Math.max(1, (int) Math.ceil(MIN_TEXT_CELL_WIDTH / cellWidth));
        for (int c = firstColumn; c < last; c += every) {
            double x = ROW_LABEL_WIDTH + (c - firstColumn + 0.5) * cellWidth;
            g.fillText(Integer.toString(c), x, 9, cellWidth * every);
            if (every == 1) g.fillText(clip(data.columnLabels().get(c), cellWidth), x, 24, cellWidth - 1);
        }
        drawLegend(g);
        int sr = selectedRow.get(), sc = selectedColumn.get();
        g.setStroke(SELECTION);
        g.setLineWidth(2);
        if (sr >= 0 && sc < 0) {
            // a view that selects whole rows (the attention view's query)
            g.strokeRect(ROW_LABEL_WIDTH + 1, COLUMN_LABEL_HEIGHT + sr * cellHeight + 1,
                    Math.max(1, (last - firstColumn) * cellWidth - 2), Math.max(1, cellHeight - 2));
        }
        if (sr < 0 && sc >= firstColumn && sc < last) {
            // a view that selects whole columns (a position, in the patching view)
            g.strokeRect(ROW_LABEL_WIDTH + (sc - firstColumn) * cellWidth + 1, COLUMN_LABEL_HEIGHT + 1,
                    Math.max(1, cellWidth - 2), Math.max(1, data.rows() * cellHeight - 2));
        }
        if (sr >= 0 && sc >= firstColumn && sc < last) {
            g.strokeRect(ROW_LABEL_WIDTH + (sc - firstColumn) * cellWidth + 1, COLUMN_LABEL_HEIGHT + sr * cellHeight + 1,
                    Math.max(1, cellWidth - 2), Math.max(1, cellHeight - 2));
        }
    }

    /** Cells wide enough for text: a fillRect and the clipped text per cell in view. */
    private void drawCellsWithText(GraphicsContext g, int last) {
        for (int r = 0; r < data.rows(); r++) {
            double y = COLUMN_LABEL_HEIGHT + r * cellHeight;
            for (int c = firstColumn; c < last; c++) {
                double v = data.value(r, c), x = ROW_LABEL_WIDTH + (c - firstColumn) * cellWidth;
                g.setFill(Viridis.color(v));
                g.fillRect(x, y, cellWidth, cellHeight);
                g.setFill(Viridis.textOn(v));
                g.fillText(clip(data.cellText()[r * data.columns() + c], cellWidth), x + cellWidth / 2, y + cellHeight / 2, cellWidth - 2);
            }
        }
    }

    /**
     * Cells too small for text: one pixel per cell in an image, scaled up without smoothing by one drawImage, instead
     * of a fillRect per cell (13 × 1024 cells are 13,312 canvas commands otherwise).
     */
    private void drawCellsAsImage(GraphicsContext g, int last) {
        int width = last - firstColumn, rows = data.rows();
        if (width <= 0) return;
        if (cellImage == null || cellImage.getWidth() != width || cellImage.getHeight() != rows) {
            cellImage = new WritableImage(width, rows);
            cellPixels = new int[width * rows];
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < width; c++) cellPixels[r * width + c] = Viridis.argb(data.value(r, firstColumn + c));
        }
        cellImage.getPixelWriter().setPixels(0, 0, width, rows, PixelFormat.getIntArgbPreInstance(), cellPixels, 0, width);
        g.setImageSmoothing(false);
        g.drawImage(cellImage, ROW_LABEL_WIDTH, COLUMN_LABEL_HEIGHT, width * cellWidth, rows * cellHeight);
    }

    /** The colour scale in the top-left corner: the low end, the viridis ramp, the high end. */
    private void drawLegend(GraphicsContext g) {
        double x0 = 8, y0 = 6, width = 100, height = 10;
        for (int i = 0; i < width; i++) {
            g.setFill(Viridis.color(i / (width - 1)));
            g.fillRect(x0 + i, y0 + 12, 1, height);
        }
        g.setFill(Color.BLACK);
        g.setTextAlign(TextAlignment.LEFT);
        g.fillText(legendLow, x0, y0 + 3);
        g.setTextAlign(TextAlignment.RIGHT);
        g.fillText(legendHigh, x0 + width, y0 + 3);
    }

    /** The texts at the two ends of the colour scale ("0" and "1" unless a view says otherwise). */
    public void setLegend(String low, String high) {
        legendLow = low;
        legendHigh = high;
        redraw();
    }

    /**
     * The whole heatmap (every column, not just those in view) as an SVG document: a rect per cell in the same viridis
     * colours, the cell text where a view has it, row and column labels.
     */
    public String toSvg() {
        if (data == null) throw new IllegalStateException("nothing to draw");
        double cw = data.cellText() != null ? 48 : 12, ch = 24, left = ROW_LABEL_WIDTH, top = COLUMN_LABEL_HEIGHT;
        double width = left + data.columns() * cw + 4, height = top + data.rows() * ch + 4;
        StringBuilder sb = new StringBuilder(64 + data.values().length * 96);
        sb.append(String.format(java.util.Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\""
                + " font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\">%n", width, height));
        sb.append(String.format(java.util.Locale.ROOT, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>%n", width, height));
        for (int r = 0; r < data.rows(); r++) {
            double y = top + r * ch;
            sb.append(String.format(java.util.Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\">%s</text>%n",
                    left - 4, y + ch / 2, xml(data.rowLabels().get(r))));
            for (int c = 0; c < data.columns(); c++) {
                double v = data.value(r, c), x = left + c * cw;
                sb.append(String.format(java.util.Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#%06x\"/>%n",
                        x, y, cw, ch, Viridis.argb(v) & 0xffffff));
                if (data.cellText() != null) {
                    sb.append(String.format(java.util.Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" dominant-baseline=\"middle\" fill=\"%s\">%s</text>%n",
                            x + cw / 2, y + ch / 2, Viridis.textOn(v).equals(Color.BLACK) ? "#000000" : "#ffffff",
                            xml(clip(data.cellText()[r * data.columns() + c], cw))));
                }
            }
        }
        for (int c = 0; c < data.columns(); c++) {
            double x = left + (c + 0.5) * cw;
            sb.append(String.format(java.util.Locale.ROOT, "<text x=\"%.1f\" y=\"10\" text-anchor=\"middle\">%d</text>%n", x, c));
            sb.append(String.format(java.util.Locale.ROOT, "<text x=\"%.1f\" y=\"25\" text-anchor=\"middle\">%s</text>%n",
                    x, xml(clip(data.columnLabels().get(c), cw))));
        }
        return sb.append("</svg>\n").toString();
    }

    /**
     * {@code s} for SVG text and attributes: control characters (XML 1.0 cannot hold most of them) as their Unicode
     * control pictures, U+2400.., then the probes library's escaping ({@link Html#escape}).
     */
    private static String xml(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            sb.append(ch < 0x20 ? (char) (0x2400 + ch) : ch);
        }
        return Html.escape(sb.toString());
    }

    /** At most as many characters as fit a cell (about 7 px each at 11 px). */
    private static String clip(String s, double width) {
        int max = Math.max(1, (int) (width / 7));
        String shown = s.replace("\n", "⏎");
        return shown.length() <= max ? shown : shown.substring(0, Math.max(1, max - 1)) + "…";
    }
}
