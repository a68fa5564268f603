package org.fedmil.site.evaluate;

import java.io.PrintStream;
import java.util.Locale;
import java.util.OptionalInt;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.proto.v1.EvaluationReport;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.model.GlobalModels;
import org.fedmil.site.policy.PolicyGuard;
import org.fedmil.site.task.Membership;
import org.fedmil.site.task.SiteTask;
import org.fedmil.site.task.TaskExecutor;
import org.fedmil.site.train.SiteTrainer;

/** Evaluates a global model on the local bags and reports aggregate metrics only (never a bag's output). */
public final class EvaluateExecutor implements TaskExecutor<SiteTask.Evaluate> {

    private final Membership membership;
    private final PolicyGuard policy;
    private final GlobalModels models;
    private final SiteTrainer trainer;
    private final CoordinatorClient client;
    private final PrintStream out;

    public EvaluateExecutor(Membership membership, PolicyGuard policy, GlobalModels models, SiteTrainer trainer,
                            CoordinatorClient client, PrintStream out) {
        this.membership = membership;
        this.policy = policy;
        this.models = models;
        this.trainer = trainer;
        this.client = client;
        this.out = out;
    }

    @Override
    public void execute(SiteTask.Evaluate task) {
        policy.checkModel(task.model().spec());
        trainer.useEncoderBlock(task.model().encoderBlock());
        CoordinatorClient.DownloadedModel global = models.fetch(task.model(), "evaluate", OptionalInt.empty());
        BinaryMetrics m = trainer.evaluate(task.model().spec(), global.weights());
        EvaluationReport.Builder report = EvaluationReport.newBuilder()
                .setModelVersion(global.version()).setBags(m.n()).setAuc(m.auc()).setAccuracy(m.accuracy())
                .setSensitivity(m.sensitivity()).setSpecificity(m.specificity()).setLoss(m.loss());
        // the final model has no next round to carry its validation: this report does
        trainer.validate(task.model().spec(), global.weights()).filter(v -> policy.allowsAggregateOf(v.bags()))
                .ifPresent(v -> report.setValidation(org.fedmil.protocol.ValidationWire.toProto(v)));
        client.reportEvaluation(report.build());
        out.printf(Locale.ROOT, "site %s evaluated model v%d on its %d bags: auc %.4f acc %.4f%n", membership.siteId(),
                global.version(), m.n(), m.auc(), m.accuracy());
    }
}
