package org.fedmil.site.explain;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HtmlTest {

    @Test
    void markupQuotesAndAmpersandsBecomeCharacterReferences() {
        String hostile = "\"><img src=x onerror='alert(1)'>&amp;<script>x</script>";

        assertThat(Html.escape(hostile)).isEqualTo("&quot;&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;"
                + "&amp;amp;&lt;script&gt;x&lt;/script&gt;");
    }

    @Test
    void ordinaryTextAndNullAreSafeAsTheyAre() {
        assertThat(Html.escape("case-0001 ünïcode · 0.93")).isEqualTo("case-0001 ünïcode · 0.93");
        assertThat(Html.escape(null)).isEmpty();
    }
}
