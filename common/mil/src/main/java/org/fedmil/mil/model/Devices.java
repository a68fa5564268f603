package org.fedmil.mil.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/**
 * Turns a config's device setting into a DJL device. "auto" takes what DJL offers: the first GPU when the
 * PyTorch engine found CUDA (libtorch with CUDA via PYTORCH_LIBRARY_PATH), the CPU otherwise.
 */
public final class Devices {

    private Devices() {
    }

    public static Device choose(String setting) {
        String s = setting == null ? "auto" : setting.trim().toLowerCase(Locale.ROOT);
        Engine engine = Engine.getInstance();
        switch (s) {
            case "auto":
                return engine.defaultDevice();
            case "cpu":
                return Device.cpu();
            case "gpu":
                requireGpu(engine, 0, setting);
                return Device.gpu();
            default:
                Device d;
                try {
                    d = Device.fromName(s);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("device '" + setting + "' is not understood; use auto, cpu, gpu or gpu(N)", e);
                }
                if (d.isGpu()) {
                    requireGpu(engine, d.getDeviceId(), setting);
                }
                return d;
        }
    }

    private static void requireGpu(Engine engine, int id, String setting) {
        int gpus = engine.getGpuCount();
        if (id >= gpus) {
            throw new IllegalArgumentException("device '" + setting + "' asks for GPU " + id + " but the "
                    + engine.getEngineName() + " engine sees " + gpus + " GPU(s); install libtorch with CUDA and set "
                    + "PYTORCH_LIBRARY_PATH (docs/site-guide.md), or use device: auto");
        }
    }

    /** How a device is reported to the coordinator and in logs: DJL's own name, e.g. "cpu()" or "gpu(0)". */
    public static String describe(Device device) {
        return device.toString();
    }
}
