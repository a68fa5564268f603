package org.fedmil.site.explain.archfixture;

import org.fedmil.util.archfixture.HarmlessLookingHelper;

/** Breaks the offline rule on purpose, for RulesCatchViolationsTest: not itself, through a FedMIL helper it calls. */
public class ExplanationCallingOut {

    public String explain() throws Exception {
        return HarmlessLookingHelper.fetchRemark();
    }
}
