package io.presync.cli;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * scripts/jit-directives.json lets C2 compile only the methods it names; a name that no longer matches
 * (a class renamed or moved) would silently leave that per-byte kernel C1-compiled, several times slower.
 * This test keeps every name pointing at a class and method that exist.
 */
class JitDirectivesTest
{
    private static final Pattern QUOTED = Pattern.compile("\"([^\"]+)\"");

    @Test
    void everyMethodThatC2MayCompileExists() throws IOException, ClassNotFoundException
    {
        final String text = Files.readString(Path.of("scripts", "jit-directives.json"));
        final List<String> patterns = new ArrayList<>();
        final Matcher m = QUOTED.matcher(text);
        while (m.find())
        {
            patterns.add(m.group(1));
        }
        assertTrue(patterns.contains("*.*"), "the catch-all that keeps other methods away from C2");
        assertTrue(patterns.contains("io/presync/pool/BlockHash.*"), "the block hash is the copy's main per-byte kernel");
        for (final String pattern : patterns)
        {
            if (pattern.equals("*.*"))
            {
                continue;
            }
            final int dot = pattern.lastIndexOf('.');
            final String className = pattern.substring(0, dot).replace('/', '.');
            final String method = pattern.substring(dot + 1);
            final Class<?> type = Class.forName(className, false, JitDirectivesTest.class.getClassLoader());
            if (!method.equals("*"))
            {
                assertTrue(Arrays.stream(type.getDeclaredMethods()).map(Method::getName).anyMatch(method::equals),
                    pattern + ": no method " + method + " in " + className);
            }
        }
        assertEquals(6, patterns.size(), "five kernels and the catch-all: update this test with the file");
    }
}
