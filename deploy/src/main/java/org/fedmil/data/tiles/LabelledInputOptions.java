package org.fedmil.data.tiles;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options {@code data tiles} and {@code data slides} share for saying which files are which class: a folder of
 * class sub-folders, or a CSV of file,label rows (one bag per patient with a patient column). A picocli mixin; the
 * CSV's file column is the command's own (image or slide).
 */
public final class LabelledInputOptions {

    @Option(names = "--positive", paramLabel = "NAME",
            description = "The class folder (or CSV label) that is positive, label 1. Required for folders; "
                    + "without it CSV labels must be 0 and 1 (or empty: a case not labelled yet).")
    String positive;

    @Option(names = "--negative", paramLabel = "NAME",
            description = "A negative class folder or CSV label (repeatable; default: the one other there is).")
    List<String> negatives = new ArrayList<>();

    @Option(names = "--label-column", paramLabel = "NAME", defaultValue = "label",
            description = "CSV column of labels (default: ${DEFAULT-VALUE}).")
    String labelColumn;

    @Option(names = "--patient-column", paramLabel = "NAME",
            description = "CSV column of patient ids: one bag per patient (bag id = patient id) holding the tiles of "
                    + "all the patient's files.")
    String patientColumn;

    /** The bags {@code input} (a CSV file or a class folder) describes; folders are searched for {@code endings}. */
    public List<BagPlan> plans(Path input, String fileColumn, List<String> endings) {
        ImageInputs.Labels labels = positive == null ? ImageInputs.Labels.zeroOne()
                : ImageInputs.Labels.positive(positive, negatives);
        if (Files.isRegularFile(input)) {
            return ImageInputs.fromCsv(input, fileColumn, labelColumn, Optional.ofNullable(patientColumn), labels);
        }
        if (patientColumn != null) {
            throw new IllegalArgumentException("--patient-column needs a CSV --input (a folder has no patient "
                    + "column)");
        }
        return ImageInputs.fromFolder(input, labels, endings);
    }
}
