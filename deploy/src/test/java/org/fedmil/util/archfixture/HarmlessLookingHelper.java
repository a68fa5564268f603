package org.fedmil.util.archfixture;

import java.net.Socket;

/** Opens a connection, for RulesCatchViolationsTest: what ExplanationCallingOut reaches one call away. */
public final class HarmlessLookingHelper {

    private HarmlessLookingHelper() {
    }

    public static String fetchRemark() throws Exception {
        try (Socket socket = new Socket("example.org", 80)) {
            return socket.getInetAddress().toString();
        }
    }
}
