package org.mesascope.cli;

import picocli.CommandLine;

/** Where forward passes run ({@code --device}). This build has only the CPU backend. */
enum Device {
    CPU, AUTO, CUDA;

    /** Lower-case names on the command line, as users type them; anything else is a usage error. */
    static final class Converter implements CommandLine.ITypeConverter<Device> {
        @Override
        public Device convert(String value) {
            return switch (value) {
                case "cpu" -> CPU;
                case "auto" -> AUTO;
                case "cuda" -> CUDA;
                default -> throw new CommandLine.TypeConversionException(
                        "unknown device '" + value + "' (choose cpu, auto or cuda)");
            };
        }
    }
}
