package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link AllListeners} must forward every {@link RoundListener} callback: one it does not override is the
 * interface's empty default, and the coordinator's listeners behind it never hear of it.
 */
class AllListenersForwardEveryCallbackTest {

    @Test
    void everyCallbackIsOverridden() {
        List<String> missing = new ArrayList<>();
        for (Method m : RoundListener.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            try {
                Method own = AllListeners.class.getMethod(m.getName(), m.getParameterTypes());
                if (own.getDeclaringClass() != AllListeners.class) {
                    missing.add(m.getName());
                }
            } catch (NoSuchMethodException e) {
                missing.add(m.getName());
            }
        }
        assertThat(missing).as("RoundListener callbacks AllListeners does not forward, of %s",
                Arrays.toString(RoundListener.class.getMethods())).isEmpty();
    }
}
