/**
 * Float64 core of Lipschitz-bounded equilibrium networks for certification (issue 7, ALGORITHMS.md §5).
 *
 * <ul>
 *   <li>{@link io.equilibria.certify.lipschitz.Lben}: LBEN with the direct parameterisation for a prescribed
 *       ℓ2 bound γ (Revay, Wang &amp; Manchester 2020), the LBEN matrix inequality checked by its smallest
 *       eigenvalue, Peaceman–Rachford equilibrium solve, and the inverse map to direct parameters.</li>
 *   <li>{@link io.equilibria.certify.lipschitz.MonDeq}: MonDEQ (Winston &amp; Kolter 2020), forward–backward
 *       and Peaceman–Rachford, exact LBEN form with γ = ‖U‖‖G‖/m.</li>
 *   <li>{@link io.equilibria.certify.lipschitz.Sll} (SLL and CPL layers) and
 *       {@link io.equilibria.certify.lipschitz.Aol}: explicit 1-Lipschitz networks and their exact LBEN forms
 *       with the same bound (Havens et al., NeurIPS 2023); {@link io.equilibria.certify.lipschitz.Sandwich}
 *       layers (Wang &amp; Manchester 2023) likewise.</li>
 *   <li>{@link io.equilibria.certify.lipschitz.Certificates}: radius margin/(√2 L) and an adversarial search
 *       for empirical Lipschitz ratios.</li>
 * </ul>
 * Dense Commons Math matrices: meant for small models, tests and checking shipped models; training and
 * convolutional LBENs live elsewhere.
 */
package io.equilibria.certify.lipschitz;
