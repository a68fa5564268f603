package org.fedmil.arch;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.fedmil.cli.Fedmil;

/**
 * The product's classes as this module's tests see them: every module but the benchmarks, main code only (the
 * test classes and test jars on this class path are left out).
 */
final class ProductClasses {

    static final JavaClasses ALL = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.fedmil");

    static final String[] LIBRARY_PACKAGES = {"org.fedmil.tensor..", "org.fedmil.util..", "org.fedmil.config..",
            "org.fedmil.pki..", "org.fedmil.tls..", "org.fedmil.audit..", "org.fedmil.secagg..", "org.fedmil.privacy..",
            "org.fedmil.mil..", "org.fedmil.data..", "org.fedmil.protocol.."};

    static final String[] APPLICATION_PACKAGES = {"org.fedmil.coordinator..", "org.fedmil.site..", "org.fedmil.cli..",
            "org.fedmil.bench.."};

    /**
     * The classes of the command-line module (this one): it puts its `fedmil audit|pki|data` commands in the
     * packages of the libraries they drive, so a library is told apart by the module a class comes from.
     */
    static final DescribedPredicate<JavaClass> IN_THE_COMMAND_LINE_MODULE = inTheModuleOf(Fedmil.class);

    private ProductClasses() {
    }

    private static DescribedPredicate<JavaClass> inTheModuleOf(Class<?> member) {
        String location;
        try {
            location = Path.of(member.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot tell where " + member.getName() + " was loaded from", e);
        }
        return DescribedPredicate.describe("in the module of " + member.getSimpleName() + " (" + location + ")",
                c -> c.getSource().map(s -> s.getUri().toString().contains(location)).orElse(false));
    }
}
