package org.fedmil.audit;

import java.io.IOException;
import java.math.BigInteger;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;

/**
 * ECDSA signatures in one form only: DER with s in the lower half of the group order. Otherwise (r, n−s) is a
 * second valid signature of the same record, and anyone could change the bytes (and so the hash) of the last
 * line without the key.
 */
final class LowS {

    private LowS() {
    }

    /** The low-s DER form of {@code der}. */
    static byte[] normalize(byte[] der, BigInteger order) {
        BigInteger[] rs = decode(der);
        if (rs == null) {
            throw new IllegalStateException("the JDK produced an ECDSA signature that is not DER");
        }
        BigInteger s = rs[1].compareTo(order.shiftRight(1)) > 0 ? order.subtract(rs[1]) : rs[1];
        return encode(rs[0], s);
    }

    /** True if {@code der} is canonical DER of (r, s) with s at most half the order. */
    static boolean isCanonical(byte[] der, BigInteger order) {
        BigInteger[] rs = decode(der);
        return rs != null && rs[1].signum() > 0 && rs[1].compareTo(order.shiftRight(1)) <= 0
                && Arrays.equals(der, encode(rs[0], rs[1]));
    }

    private static BigInteger[] decode(byte[] der) {
        try {
            ASN1Sequence seq = ASN1Sequence.getInstance(der);
            if (seq.size() != 2) {
                return null;
            }
            return new BigInteger[] {ASN1Integer.getInstance(seq.getObjectAt(0)).getValue(),
                    ASN1Integer.getInstance(seq.getObjectAt(1)).getValue()};
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static byte[] encode(BigInteger r, BigInteger s) {
        try {
            return new DERSequence(new org.bouncycastle.asn1.ASN1Encodable[] {new ASN1Integer(r), new ASN1Integer(s)})
                    .getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
