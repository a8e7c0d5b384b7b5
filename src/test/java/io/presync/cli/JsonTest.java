package io.presync.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JsonTest
{
    @Test
    void escapesQuotesBackslashesAndControlCharacters()
    {
        assertEquals("\"a\\\"b\\\\c\\n\\t\\u0001\"", Json.quote("a\"b\\c\n\t\u0001"));
        assertEquals("{\"path\": \"/dev/x\", \"n\": 3, \"none\": null, \"maybe\": null}",
            new Json().field("path", "/dev/x").field("n", 3).field("none", (String)null).field("maybe", false, 7)
                .toString());
    }
}
