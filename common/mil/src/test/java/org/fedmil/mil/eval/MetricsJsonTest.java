package org.fedmil.mil.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(MetricsJson.module());

    record Row(double auc, Double extra, List<Double> perRound, AucInterval ci) {
    }

    @Test
    void anUndefinedAucIsWrittenAsNullAndReadBackAsNaN() throws Exception {
        BinaryMetrics oneClass = BinaryMetrics.of(new int[] {1, 1}, new float[] {0.9f, 0.2f});

        String json = JSON.writeValueAsString(oneClass);
        assertThat(json).contains("\"auc\":null").contains("\"specificity\":null").doesNotContain("NaN");
        BinaryMetrics back = JSON.readValue(json, BinaryMetrics.class);
        assertThat(back.auc()).isNaN();
        assertThat(back.specificity()).isNaN();
        assertThat(back.sensitivity()).isEqualTo(0.5);
        assertThat(back).isEqualTo(oneClass);
    }

    @Test
    void boxedNumbersAndIntervalsWriteNaNAsNullToo() throws Exception {
        Row row = new Row(Double.NaN, Double.NaN, java.util.Arrays.asList(0.5, Double.NaN),
                new AucInterval(Double.NaN, Double.NaN, 2000));

        String json = JSON.writeValueAsString(row);

        assertThat(json).isEqualTo("{\"auc\":null,\"extra\":null,\"per_round\":null,\"ci\":null}"
                .replace("\"per_round\":null", "\"perRound\":[0.5,null]")
                .replace("\"ci\":null", "\"ci\":{\"lower\":null,\"upper\":null,\"resamples\":2000}"));
        Row back = JSON.readValue(json, Row.class);
        assertThat(back.auc()).isNaN();
        assertThat(back.extra()).as("a boxed null stays null: not measured").isNull();
        assertThat(back.ci().isDefined()).isFalse();
    }

    @Test
    void theNaNStringsOfFilesWrittenBeforeAreReadAsNaN() throws Exception {
        BinaryMetrics m = JSON.readValue("{\"n\":2,\"auc\":\"NaN\",\"accuracy\":0.5,\"sensitivity\":0.5,"
                + "\"specificity\":\"NaN\",\"loss\":0.8,\"threshold\":0.5}", BinaryMetrics.class);

        assertThat(m.auc()).isNaN();
        assertThat(m.loss()).isEqualTo(0.8);
    }
}
