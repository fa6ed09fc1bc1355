package org.mesascope.cli.demo;

import org.mesascope.probes.report.Html;

import java.io.PrintWriter;
import java.util.Map;

/** One part of {@code mesascope demo}: its lines of the terminal summary, its section of the report, its records. */
interface DemoSection {
    /** The section's anchor in the report. */
    String id();

    String title();

    void summarize(PrintWriter out);

    /** The section's body in the report (below its title), every model-produced string escaped. */
    String html();

    /** File name → content (JSON) of the records written beside the report. */
    Map<String, String> records();

    /** A section that cannot run here, and why: said in the summary and in the report. */
    record Missing(String id, String title, String reason) implements DemoSection {
        @Override
        public void summarize(PrintWriter out) {
            out.println(id + ": skipped: " + reason);
        }

        @Override
        public String html() {
            return "<p>" + Html.escape(reason) + "</p>\n";
        }

        @Override
        public Map<String, String> records() {
            return Map.of();
        }
    }
}
