package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ControlParagraphsTest {

    private static final String TEXT = """
            Package: busybox-static
            Version: 1:1.35.0-4+deb12u1+b1
            Description: Standalone rescue shell
             BusyBox combines tiny versions of many common UNIX utilities.
             .
             This package provides a statically linked binary.

            Package: linux-image-cloud-amd64
            Depends: linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)
            \t
            # a comment between paragraphs
            Package: kmod
            VERSION: 30+20221128-1
            """;

    @Test
    void readsParagraphsFieldsAndContinuationLines() throws ImageException {
        List<Map<String, String>> paragraphs = new ArrayList<>();
        ControlParagraphs.read(new StringReader(TEXT), "test", paragraphs::add);
        assertThat(paragraphs).hasSize(3);
        assertThat(paragraphs.get(0)).containsEntry("package", "busybox-static")
                .containsEntry("version", "1:1.35.0-4+deb12u1+b1");
        assertThat(paragraphs.get(0).get("description")).isEqualTo("""
                Standalone rescue shell
                BusyBox combines tiny versions of many common UNIX utilities.
                .
                This package provides a statically linked binary.""");
        assertThat(paragraphs.get(1)).containsEntry("depends", "linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)");
        assertThat(paragraphs.get(2)).as("field names are case-insensitive").containsEntry("version", "30+20221128-1");
    }

    @Test
    void skipsParagraphsTheFilterRejects() throws ImageException {
        List<Map<String, String>> paragraphs = new ArrayList<>();
        ControlParagraphs.read(new StringReader(TEXT), "test", "Package", name -> name.startsWith("linux-"),
                paragraphs::add);
        assertThat(paragraphs).singleElement().satisfies(p -> assertThat(p.get("package"))
                .isEqualTo("linux-image-cloud-amd64"));
    }

    @Test
    void reportsMalformedLinesWithTheirLineNumber() {
        assertThatThrownBy(() -> ControlParagraphs.read(new StringReader("Package: a\nno colon here\n"), "Packages",
                p -> { }))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("Packages:2")
                .hasMessageContaining("no colon here");
        assertThatThrownBy(() -> ControlParagraphs.read(new StringReader(" starts with a space\n"), "Packages",
                p -> { }))
                .hasMessageContaining("continuation line outside a field");
        assertThatThrownBy(() -> ControlParagraphs.read(new StringReader("A: 1\nA: 2\n"), "Packages", p -> { }))
                .hasMessageContaining("repeated");
    }
}
