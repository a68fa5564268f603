package org.fedmil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine;

/**
 * Every {@code fedmil ...} line in a code block of docs/operator-guide.md parses against the real command line: a
 * renamed command or option fails this test instead of leaving the guide stale. (What the commands do is run by
 * AdminEndToEndIT, CertificateRenewalEndToEndIT, PkiRenewTest and PkiCommandTest.)
 */
class OperatorGuideCommandsTest {

    private static final Path GUIDE = Path.of("..", "docs", "operator-guide.md");

    @Test
    void everyCommandInTheOperatorGuideParses() throws Exception {
        List<String> commands = commands(Files.readAllLines(GUIDE));
        assertThat(commands).as("fedmil lines in " + GUIDE).hasSizeGreaterThanOrEqualTo(15)
                .anyMatch(c -> c.startsWith("fedmil admin revoke"))
                .anyMatch(c -> c.startsWith("fedmil pki renew coordinator"));
        for (String command : commands) {
            List<String> words = words(command);
            CommandLine cl = Fedmil.commandLine();
            ParseResult parsed = cl.parseArgs(words.subList(1, words.size()).toArray(String[]::new));
            ParseResult leaf = parsed;
            while (leaf.hasSubcommand()) {
                leaf = leaf.subcommand();
            }
            assertThat(leaf.commandSpec().subcommands()).as("'%s' names a command that does something", command)
                    .isEmpty();
        }
    }

    /** The lines starting with "fedmil " inside ``` blocks, up to a pipe into another program. */
    static List<String> commands(List<String> lines) {
        List<String> commands = new ArrayList<>();
        boolean inBlock = false;
        for (String line : lines) {
            if (line.strip().startsWith("```")) {
                inBlock = !inBlock;
            } else if (inBlock && line.strip().startsWith("fedmil ")) {
                String command = line.strip();
                int pipe = command.indexOf(" | ");
                commands.add(pipe < 0 ? command : command.substring(0, pipe));
            }
        }
        return commands;
    }

    /** Splits like a shell for what the guide uses: spaces, and double quotes around words with spaces. */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (char c : line.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
                any = true;
            } else if (c == ' ' && !quoted) {
                if (any) {
                    words.add(word.toString());
                    word.setLength(0);
                    any = false;
                }
            } else {
                word.append(c);
                any = true;
            }
        }
        if (any) {
            words.add(word.toString());
        }
        return words;
    }
}
