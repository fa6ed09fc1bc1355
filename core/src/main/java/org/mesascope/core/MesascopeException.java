package org.mesascope.core;

/**
 * A failure the user can act on: bad input, a missing file, an unsupported model. The message is one line
 * that names the cause; the command line prints it without a stack trace (unless --verbose).
 */
public class MesascopeException extends RuntimeException {
    public MesascopeException(String message) {
        super(message);
    }

    public MesascopeException(String message, Throwable cause) {
        super(message, cause);
    }
}
