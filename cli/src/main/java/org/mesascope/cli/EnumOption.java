package org.mesascope.cli;

import org.mesascope.probes.lens.tuned.Corpus;
import org.mesascope.probes.patch.Direction;
import org.mesascope.probes.patch.Metric;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every enum-valued option, as users type it: the constant's name in lower case with '-' for '_' ({@code AFTER_PROMPT}
 * is {@code after-prompt}). Anything else is a usage error that lists the choices. One converter serves all of them;
 * {@link #registerAll} puts it on the command line.
 *
 * @param what     the option's noun in the message ("unknown device 'tpu' (choose cpu, auto or cuda)")
 * @param nullWord a word that means "none of them" (null), listed first; null when there is none
 */
record EnumOption<E extends Enum<E>>(Class<E> type, String what, String nullWord) implements CommandLine.ITypeConverter<E> {

    @Override
    public E convert(String value) {
        if (value.equals(nullWord)) return null;
        for (E e : type.getEnumConstants()) if (label(e).equals(value)) return e;
        throw new CommandLine.TypeConversionException("unknown " + what + " '" + value + "' (choose " + choices() + ")");
    }

    /** The word for {@code e} on the command line. */
    static String label(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private String choices() {
        List<String> words = new ArrayList<>();
        if (nullWord != null) words.add(nullWord);
        for (E e : type.getEnumConstants()) words.add(label(e));
        return String.join(", ", words.subList(0, words.size() - 1)) + " or " + words.getLast();
    }

    /** The converters of every enum option of every command; call once the subcommands are in place. */
    static void registerAll(CommandLine cl) {
        register(cl, Device.class, "device", null);
        register(cl, LensCommand.Format.class, "format", null);
        register(cl, ProbeCommand.Kind.class, "probe", null);
        register(cl, SteerCommand.At.class, "placement", null);
        register(cl, Metric.class, "metric", null);
        register(cl, Direction.class, "direction", null);
        register(cl, Corpus.Format.class, "corpus format", "auto");
    }

    private static <E extends Enum<E>> void register(CommandLine cl, Class<E> type, String what, String nullWord) {
        cl.registerConverter(type, new EnumOption<>(type, what, nullWord));
    }
}
