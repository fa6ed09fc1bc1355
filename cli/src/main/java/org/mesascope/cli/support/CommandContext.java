package org.mesascope.cli.support;

import java.io.PrintWriter;

/**
 * What a subcommand needs from the top-level command: its output streams and the device choice. The top-level
 * command implements it, so that commands in their own packages (the demo) do not depend on it.
 */
public interface CommandContext {
    PrintWriter out();

    PrintWriter err();

    /** Picks the device for the forward passes about to run (once per command; auto says why it falls back). */
    void selectDevice();
}
