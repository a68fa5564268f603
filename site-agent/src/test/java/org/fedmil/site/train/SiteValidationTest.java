package org.fedmil.site.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.ValidationSplit;
import org.fedmil.mil.eval.ValidationMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.protocol.ValidationWire;
import org.fedmil.site.outbound.CompressionFilter;
import org.fedmil.site.testing.Deltas;
import org.fedmil.tensor.DeltaEncoding;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A site's validation bags: kept apart from training, the same after a restart, measured and sent as aggregates. */
class SiteValidationTest {

    @TempDir
    Path dir;

    private Path site;

    @BeforeEach
    void data() throws Exception {
        SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(1).withBags(40, 10).withSeed(5))
                .writeTo(dir.resolve("data"));
        site = dir.resolve("data/site-1");
    }

    private static Set<String> ids(List<Bag> bags) {
        Set<String> ids = new HashSet<>();
        bags.forEach(b -> ids.add(b.id()));
        return ids;
    }

    @Test
    void validationBagsNeverTrainAndAreTheSameAfterARestart() {
        ValidationSplit split = new ValidationSplit(0.2, 0);
        SiteData data = new SiteData(site, split);
        BagDataset all = BagDataset.load(site);
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, all.dim(), 8, 4);

        List<Bag> training = data.bagsFor(spec);
        List<Bag> validation = data.validationFor(spec);
        assertThat(training.size() + validation.size()).isEqualTo(40);
        assertThat(validation).hasSize(data.validationCount()).isNotEmpty();
        assertThat(ids(training)).doesNotContainAnyElementsOf(ids(validation));
        assertThat(validation).extracting(Bag::label).contains(0, 1);
        assertThat(data.trainingLabelCounts().total()).isEqualTo(training.size());
        assertThat(data.trainingLabelCounts().positives()).isEqualTo(training.stream().filter(b -> b.label() == 1).count());
        assertThat(data.labelCounts().total()).as("the join summary counts every labelled bag").isEqualTo(40);
        assertThat(data.allBagsFor(spec)).hasSize(40);
        assertThat(data.describe()).contains("kept for validation");

        SiteData restarted = new SiteData(site, new ValidationSplit(0.2, 0));
        assertThat(ids(restarted.validationFor(spec))).isEqualTo(ids(validation));
        assertThat(ids(new SiteData(site).validationFor(spec))).as("validation off").isEmpty();
        assertThat(new SiteData(site).bagsFor(spec)).hasSize(40);
    }

    @Test
    void theReceivedModelIsMeasuredOnTheValidationBagsAndTheHeaderCarriesTheAggregatesOnly() {
        SiteData data = new SiteData(site, new ValidationSplit(0.25, 1));
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, BagDataset.load(site).dim(), 8, 4);
        try (SiteTrainer trainer = new SiteTrainer(Device.cpu(), data);
             MilModel reference = MilModel.create(spec, Device.cpu(), 3)) {
            ValidationMetrics measured = trainer.validate(spec, reference.weights()).orElseThrow();
            ValidationMetrics expected = ValidationMetrics.of(reference, data.validationFor(spec));
            assertThat(measured).isEqualTo(expected);
            assertThat(measured.bags()).isEqualTo(data.validationCount());

            UpdateHeader header = new CompressionFilter().apply(Deltas.trained(1, Deltas.gaussian(1, 10, 0.1), 30,
                    DeltaEncoding.FLOAT32).withValidation(Optional.of(measured))).header();
            assertThat(header.hasValidation()).isTrue();
            assertThat(header.getValidation().getNegativeBags() + header.getValidation().getPositiveBags())
                    .isEqualTo(measured.bags());
            assertThat(ValidationWire.of(UpdateHeader.parseFrom(header.toByteArray()))).contains(measured);
            assertThat(header.getValidation().getAllFields())
                    .as("counts, loss, AUC and the loss of each class: nothing per bag").hasSize(6);
            assertThat(measured.negativeLoss()).isFinite();
            assertThat(measured.positiveLoss()).isFinite();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
        try (SiteTrainer none = new SiteTrainer(Device.cpu(), new SiteData(site))) {
            assertThat(none.validate(spec, MilModel.create(spec, Device.cpu(), 3).weights())).isEmpty();
        }
        UpdateHeader old = new CompressionFilter().apply(Deltas.trained(1, Deltas.gaussian(1, 10, 0.1), 30,
                DeltaEncoding.FLOAT32)).header();
        assertThat(old.hasValidation()).isFalse();
        assertThat(ValidationWire.of(old)).isEmpty();
    }

    @Test
    void aSiteTooSmallForASplitTrainsOnEverythingAndSaysSo() throws Exception {
        Path tiny = dir.resolve("tiny");
        java.nio.file.Files.createDirectories(tiny.resolve("bags"));
        List<Bag> bags = BagDataset.load(site).bags();
        Bag neg = bags.stream().filter(b -> b.label() == 0).findFirst().orElseThrow();
        Bag pos = bags.stream().filter(b -> b.label() == 1).findFirst().orElseThrow();
        java.nio.file.Files.writeString(tiny.resolve("bags.csv"), "bag_id,label\n" + neg.id() + ",0\n" + pos.id() + ",1\n");
        java.nio.file.Files.copy(site.resolve("bags").resolve(neg.id() + ".npy"), tiny.resolve("bags").resolve(neg.id() + ".npy"));
        java.nio.file.Files.copy(site.resolve("bags").resolve(pos.id() + ".npy"), tiny.resolve("bags").resolve(pos.id() + ".npy"));

        SiteData data = new SiteData(tiny, new ValidationSplit(0.2, 0));
        assertThat(data.tooSmallForValidation()).isTrue();
        assertThat(data.validationCount()).isZero();
        assertThat(data.trainingLabelCounts().total()).isEqualTo(2);
        assertThat(data.describe()).contains("too few for a validation split: all train");
    }
}
