package org.fedmil.data.dicom;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Puts DICOM files into bags, a bag per series (CT, MRI: its slices in order along the patient) or per study
 * (X-ray: its views), and refuses a series that cannot be a faithful volume: slices missing, two at one position,
 * or slices of different sizes.
 */
public final class DicomBags {

    /** What one bag holds. */
    public enum BagBy { SERIES, STUDY }

    /** One bag's files, in order; {@code uid} is the series or study UID, which stays at the site. */
    public record Bag(String uid, List<DicomHeader> files) {
        public int instances() {
            return files.stream().mapToInt(DicomHeader::frames).sum();
        }

        /** The spacing of its slices along the patient, mm; NaN where it has no positions or one slice. */
        public double sliceSpacing() {
            double[] z = files.stream().mapToDouble(DicomHeader::slicePosition).sorted().toArray();
            if (z.length < 2 || Double.isNaN(z[0])) {
                return Double.NaN;
            }
            return median(steps(z));
        }
    }

    /** A file-level reason a bag was refused; {@code where} names files by their path, never by tag values. */
    public record Problem(String where, String what) {
    }

    /** A slice step this much larger than the series' usual one means slices are missing. */
    static final double GAP_FACTOR = 1.5;

    private DicomBags() {
    }

    /** The bags of {@code headers}, ordered by UID; problems of series go to {@code problems}. */
    public static List<Bag> group(List<DicomHeader> headers, BagBy by, List<Problem> problems) {
        Map<String, List<DicomHeader>> groups = new TreeMap<>();
        for (DicomHeader h : headers) {
            groups.computeIfAbsent(by == BagBy.SERIES ? h.seriesUid() : h.studyUid(), k -> new ArrayList<>()).add(h);
        }
        List<Bag> bags = new ArrayList<>();
        for (var g : groups.entrySet()) {
            List<DicomHeader> files = new ArrayList<>(g.getValue());
            if (by == BagBy.STUDY) {
                files.sort(Comparator.comparingInt(DicomHeader::seriesNumber)
                        .thenComparingInt(DicomHeader::instanceNumber).thenComparing(h -> h.file().toString()));
                bags.add(new Bag(g.getKey(), files));
                continue;
            }
            String problem = sameSize(files);
            if (problem == null) {
                problem = orderAlongPatient(files);
            }
            if (problem != null) {
                problems.add(new Problem(files.get(0).file().toString(), "series of " + files.size() + " files: "
                        + problem));
            } else {
                bags.add(new Bag(g.getKey(), files));
            }
        }
        return bags;
    }

    private static String sameSize(List<DicomHeader> files) {
        Map<String, List<DicomHeader>> sizes = new LinkedHashMap<>();
        for (DicomHeader h : files) {
            sizes.computeIfAbsent(h.columns() + "×" + h.rows(), k -> new ArrayList<>()).add(h);
        }
        if (sizes.size() == 1) {
            return null;
        }
        StringBuilder s = new StringBuilder("slices of different sizes (");
        sizes.forEach((size, hs) -> s.append(size).append(" in ").append(hs.size()).append(" file(s), e.g. ")
                .append(hs.get(0).file().getFileName()).append("; "));
        s.setLength(s.length() - 2);
        return s.append("); a series is one volume: remove the files that belong elsewhere (a localiser?), or bag "
                + "by study").toString();
    }

    /** Sorts {@code files} along the patient (or by instance number); a message when slices are missing. */
    private static String orderAlongPatient(List<DicomHeader> files) {
        boolean positioned = files.stream().noneMatch(h -> Double.isNaN(h.slicePosition()));
        if (positioned) {
            files.sort(Comparator.comparingDouble(DicomHeader::slicePosition));
        } else {
            files.sort(Comparator.comparingInt(DicomHeader::instanceNumber));
        }
        if (files.size() < 2 || files.stream().anyMatch(h -> h.frames() > 1)) {
            return null; // a multi-frame object's frames are ordered by its maker
        }
        double[] at = files.stream().mapToDouble(h -> positioned ? h.slicePosition() : h.instanceNumber()).toArray();
        double[] steps = steps(at);
        double usual = positioned ? median(steps) : 1;
        String unit = positioned ? " mm" : "";
        for (int i = 0; i < steps.length; i++) {
            String between = files.get(i).file().getFileName() + " and " + files.get(i + 1).file().getFileName();
            if (steps[i] < 1e-3 * Math.max(usual, 1e-3)) {
                return "two slices at the same " + (positioned ? "position" : "instance number") + " (" + between
                        + "); the export holds a file twice, or two series share a UID";
            }
            if (steps[i] > GAP_FACTOR * usual) {
                long missing = Math.round(steps[i] / usual) - 1;
                return String.format(Locale.ROOT, "slices missing: a step of %s%s between %s, where slices are "
                        + "%s%s apart (about %d missing); export the whole series again", shown(steps[i]), unit,
                        between, shown(usual), unit, Math.max(1, missing));
            }
        }
        return null;
    }

    /** A length as people write it: 5, 2.5, 0.625 (4 significant digits, no trailing zeros). */
    public static String shown(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
    }

    private static double[] steps(double[] sorted) {
        double[] d = new double[sorted.length - 1];
        for (int i = 0; i < d.length; i++) {
            d[i] = sorted[i + 1] - sorted[i];
        }
        return d;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
