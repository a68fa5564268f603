package org.fedmil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * The commands of docs/site-guide.md parse against the real command line, including those run as the service user
 * ({@code runuser -u fedmil -- /opt/fedmil/bin/fedmil ...}); docs/data-format.md's synopses name real commands in
 * full ({@code fedmil data synth}, not {@code synth}). What the commands do is run by DistributionIT, SiteCheckIT and
 * the data command tests.
 */
class SiteGuideCommandsTest {

    private static final Pattern COMMAND =
            Pattern.compile("^(?:\\$ |runuser -u \\S+ -- )?(?:/opt/fedmil/bin/)?fedmil (.*)$");

    @Test
    void everyFedmilCommandInTheSiteGuideParsesAndNamesACommandThatDoesSomething() throws Exception {
        List<String> commands = fedmilCommands(Path.of("..", "docs", "site-guide.md"));
        assertThat(commands).hasSizeGreaterThanOrEqualTo(10)
                .anyMatch(c -> c.startsWith("site check --config /etc/fedmil/site/site.yaml"))
                .anyMatch(c -> c.equals("cds-archive"));
        for (String command : commands) {
            List<String> words = OperatorGuideCommandsTest.words(command);
            ParseResult leaf = Fedmil.commandLine().parseArgs(words.toArray(String[]::new));
            while (leaf.hasSubcommand()) {
                leaf = leaf.subcommand();
            }
            assertThat(leaf.commandSpec().subcommands()).as("'fedmil %s' names a command that does something", command)
                    .isEmpty();
        }
    }

    @Test
    void theGuidesRunCommandsAsTheServiceUserWithRunuserNotSudo() throws Exception {
        for (String guide : List.of("site-guide.md", "operator-guide.md", "data-format.md")) {
            assertThat(codeLines(Path.of("..", "docs", guide))).as("commands of " + guide)
                    .noneMatch(l -> l.contains("sudo "));
        }
        assertThat(codeLines(Path.of("..", "docs", "site-guide.md")))
                .contains("runuser -u fedmil -- /opt/fedmil/bin/fedmil site check --config /etc/fedmil/site/site.yaml");
    }

    @Test
    void everyDataCommandSynopsisInDataFormatNamesTheWholeCommand() throws Exception {
        CommandLine data = Fedmil.commandLine().getSubcommands().get("data");
        Set<String> dataCommands = data.getSubcommands().keySet();
        List<String> lines = codeLines(Path.of("..", "docs", "data-format.md"));
        for (String line : lines) {
            String first = line.split(" ", 2)[0];
            assertThat(dataCommands.contains(first) && line.contains(" --"))
                    .as("'%s' in data-format.md: write it as 'fedmil data %s ...'", line, first).isFalse();
        }
        List<String> synopses = lines.stream().filter(l -> l.startsWith("fedmil data ")).toList();
        assertThat(synopses).anyMatch(l -> l.startsWith("fedmil data synth --out DIR"));
        for (String synopsis : synopses) {
            String name = synopsis.split(" ")[2];
            assertThat(dataCommands).as("'%s' names a data command", synopsis).contains(name);
        }
    }

    /** The text after "fedmil " of each command line in a code block, its trailing "# comment" dropped. */
    private static List<String> fedmilCommands(Path guide) throws Exception {
        List<String> commands = new ArrayList<>();
        for (String line : codeLines(guide)) {
            Matcher m = COMMAND.matcher(line);
            if (m.matches()) {
                commands.add(m.group(1).replaceFirst("\\s+#.*$", "").strip());
            }
        }
        return commands;
    }

    private static List<String> codeLines(Path guide) throws Exception {
        List<String> lines = new ArrayList<>();
        boolean inBlock = false;
        for (String line : Files.readAllLines(guide)) {
            if (line.strip().startsWith("```")) {
                inBlock = !inBlock;
            } else if (inBlock) {
                lines.add(line.strip());
            }
        }
        return lines;
    }
}
