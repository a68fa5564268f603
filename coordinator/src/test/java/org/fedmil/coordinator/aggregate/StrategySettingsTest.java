package org.fedmil.coordinator.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry of strategies and the binding of the {@code strategy:} keys to each strategy's parameter record. */
class StrategySettingsTest {

    private static final List<String> ALL = List.of("fedadam", "fedavg", "fedavgm", "fedprox", "fedyogi", "median",
            "trimmed_mean");

    @Test
    void theRegistryHoldsEveryStrategyDeclaredInThePackage() {
        assertThat(Strategies.names()).containsExactlyElementsOf(ALL);
        for (String name : ALL) {
            Strategy s = new StrategySettings(name, Map.of()).create();
            assertThat(s.name()).as("built with its defaults").isEqualTo(name.equals("fedprox") ? "fedprox" : name);
        }
    }

    @Test
    void theRegistryFindsTheStrategiesWhenTheyAreLoadedFromAJar(@TempDir Path dir) throws Exception {
        Path classes = Path.of(Strategies.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path jar = dir.resolve("aggregate.jar");
        String folder = Strategies.class.getPackageName().replace('.', '/');
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
             Stream<Path> files = Files.list(classes.resolve(folder))) {
            for (Path f : files.toList()) {
                out.putNextEntry(new JarEntry(folder + "/" + f.getFileName()));
                Files.copy(f, (OutputStream) out);
                out.closeEntry();
            }
        }
        List<URL> urls = new ArrayList<>(List.of(jar.toUri().toURL()));
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            urls.add(Path.of(entry).toUri().toURL());
        }
        try (URLClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader())) {
            Class<?> registry = loader.loadClass(Strategies.class.getName());
            assertThat(registry.getResource("Strategies.class").getProtocol()).isEqualTo("jar");
            assertThat(registry.getMethod("names").invoke(null)).isEqualTo(ALL);
        }
    }

    @Test
    void aKeyOfAnotherStrategyIsRefusedNamingTheStrategiesThatTakeIt() {
        assertThatThrownBy(() -> StrategySettings.parse("median:server_learning_rate=0.1"))
                .hasMessageContaining("key 'strategy.server_learning_rate' does not apply to strategy median")
                .hasMessageContaining("only to fedadam, fedavgm, fedyogi")
                .hasMessageContaining("remove it, or choose a strategy that takes it");
    }

    @Test
    void aKeyNoStrategyTakesIsRefusedListingTheKeysOfTheChosenOne() {
        assertThatThrownBy(() -> StrategySettings.parse("trimmed_mean:trim=0.1"))
                .hasMessageContaining("key 'strategy.trim' is not a strategy key")
                .hasMessageContaining("trimmed_mean takes: name, trim_fraction, max_buffered_updates, clip_norm");
    }

    @Test
    void aValueOfTheWrongTypeIsRefusedSayingWhatWasExpected() {
        assertThatThrownBy(() -> StrategySettings.parse("fedprox:mu=abc"))
                .hasMessageContaining("key 'strategy.mu' is abc, expected a number");
        assertThatThrownBy(() -> new StrategySettings("median", Map.of("max_buffered_updates", 4.5)).create())
                .as("not silently truncated to 4")
                .hasMessageContaining("key 'strategy.max_buffered_updates' is 4.5, expected a whole number");
        assertThatThrownBy(() -> StrategySettings.parse("fedavg:clip=x"))
                .hasMessageContaining("key 'strategy.clip_norm' is x, expected a positive number");
    }

    @Test
    void theBenchmarkFormAndTheYamlSectionBindTheSameValues() {
        Strategy fromText = StrategySettings.parse("fedadam:lr=0.003:beta2=0.999:clip=2.5").create();
        Strategy fromYaml = StrategySettings.fromSection(Map.of("name", "fedadam", "server_learning_rate", 0.003,
                "beta2", 0.999, "clip_norm", 2.5)).create();
        assertThat(fromText.parameters()).isEqualTo(fromYaml.parameters())
                .containsEntry("server_learning_rate", 0.003).containsEntry("clip_norm", 2.5);
        assertThatThrownBy(() -> StrategySettings.parse("fedavg:clip")).hasMessageContaining("expected key=value");
    }

    @Test
    void clippingDeclaresThatItNeedsIndividualUpdatesWhateverItWraps() {
        Strategy clipped = StrategySettings.parse("fedavgm:clip=1").create();
        assertThat(clipped.capabilities()).containsExactlyInAnyOrder(Capability.INDIVIDUAL_UPDATES,
                Capability.STATEFUL);
        assertThat(StrategySettings.parse("fedavgm:clip=1").clipped()).isTrue();
        assertThat(StrategySettings.parse("fedavgm").clipped()).isFalse();
    }
}
