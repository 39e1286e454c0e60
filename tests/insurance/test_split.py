"""The split of a bill, by worked examples computed by hand (amounts in fen; 100 fen = 1 yuan).

Unless a test says otherwise the terms are an employee's ordinary outpatient ones: deductible
800 yuan, ratio 70 %, annual cap 10 000 yuan, class B pays 10 % first.
"""

from __future__ import annotations

from insurance.mock_insurer.policy import POLICY, LineIn, Terms, YearSoFar, cash_only, pct, split, terms_for

EMPLOYEE = Terms(deductible=80_000, ratio_pct=70, annual_cap=1_000_000, class_b_selfpay_pct=10)


def a(total):
    return LineIn("A-drug", "01", total)


def b(total):
    return LineIn("B-drug", "02", total)


def c(total):
    return LineIn("C-drug", "03", total)


def assert_adds_up(r):
    assert r.fund_pay_sumamt + r.acct_pay + r.psn_cash_pay == r.medfee_sumamt


def test_deductible_not_yet_reached_everything_is_the_patients():
    # 300 yuan of class A; nothing of the 800-yuan deductible used yet; 500 yuan in the account.
    r = split([a(30_000)], EMPLOYEE, YearSoFar(deductible_used=0, fund_paid=0, balance=50_000))
    assert r.inscp_scp_amt == 30_000  # class A enters the base whole
    assert r.act_pay_dedc == 30_000  # min(300, 800 still due)
    assert r.hifp_pay == 0  # (300 - 300) × 70 %
    assert r.acct_pay == 30_000  # the person's 300, all from the account (500 available)
    assert r.psn_cash_pay == 0
    assert r.balc == 20_000  # 500 - 300
    assert_adds_up(r)


def test_deductible_partly_reached():
    # 1 000 yuan of class A; 500 of the deductible already used, so 300 is still due.
    r = split([a(100_000)], EMPLOYEE, YearSoFar(deductible_used=50_000, fund_paid=0, balance=100_000))
    assert r.act_pay_dedc == 30_000  # 800 - 500
    assert r.hifp_pay == 49_000  # (1 000 - 300) × 70 % = 490
    assert r.acct_pay == 51_000  # 1 000 - 490 = 510, the account holds 1 000
    assert r.psn_cash_pay == 0
    assert r.balc == 49_000  # 1 000 - 510
    assert_adds_up(r)


def test_annual_cap_nearly_reached_limits_the_fund():
    # 1 000 yuan of class A, deductible met; the fund has paid 9 900 of its 10 000 yuan this year.
    r = split([a(100_000)], EMPLOYEE, YearSoFar(deductible_used=80_000, fund_paid=990_000, balance=0))
    assert r.act_pay_dedc == 0
    assert r.hifp_pay == 10_000  # 70 % would be 700, but only 100 of the cap is left
    assert r.acct_pay == 0  # no account balance
    assert r.psn_cash_pay == 90_000  # 1 000 - 100
    assert_adds_up(r)


def test_annual_cap_reached_the_fund_pays_nothing():
    r = split([a(100_000)], EMPLOYEE, YearSoFar(deductible_used=80_000, fund_paid=1_000_000, balance=0))
    assert r.hifp_pay == 0  # cap 10 000 - paid 10 000 = 0 left
    assert r.psn_cash_pay == 100_000


def test_classes_a_b_c_mixed():
    # A 120 yuan, B 50 yuan, C 30 yuan; deductible met; 1 000 yuan in the account.
    r = split([a(12_000), b(5_000), c(3_000)], EMPLOYEE, YearSoFar(80_000, 0, 100_000))
    line_a, line_b, line_c = r.lines
    assert (line_a.preselfpay_amt, line_a.fulamt_ownpay_amt, line_a.inscp_scp_amt) == (0, 0, 12_000)
    assert (line_b.preselfpay_amt, line_b.inscp_scp_amt) == (500, 4_500)  # B: 10 % of 50 = 5 first, 45 in
    assert (line_c.fulamt_ownpay_amt, line_c.inscp_scp_amt) == (3_000, 0)  # C: all 30 self-paid
    assert r.medfee_sumamt == 20_000  # 120 + 50 + 30
    assert r.preselfpay_amt == 500
    assert r.fulamt_ownpay_amt == 3_000
    assert r.inscp_scp_amt == 16_500  # 120 + 45
    assert r.hifp_pay == 11_550  # 165 × 70 % = 115.50
    assert r.psn_part_amt == 8_450  # 5 (B share) + 30 (C) + 30 % of 165 (49.50) = 84.50
    assert (r.acct_pay, r.psn_cash_pay, r.balc) == (8_450, 0, 91_550)  # 1 000 - 84.50 = 915.50
    assert_adds_up(r)


def test_personal_account_short_the_rest_is_cash():
    # The same mixed bill, but only 20 yuan in the account.
    r = split([a(12_000), b(5_000), c(3_000)], EMPLOYEE, YearSoFar(80_000, 0, 2_000))
    assert r.hifp_pay == 11_550
    assert r.acct_pay == 2_000  # all the account holds
    assert r.psn_cash_pay == 6_450  # 84.50 - 20
    assert r.balc == 0
    assert_adds_up(r)


def test_account_not_used_when_the_patient_declines():
    r = split([a(12_000), b(5_000), c(3_000)], EMPLOYEE, YearSoFar(80_000, 0, 100_000), use_account=False)
    assert (r.acct_pay, r.psn_cash_pay, r.balc) == (0, 8_450, 100_000)


def test_reference_example_class_b_100_yuan():
    # reference/nhsa.md §4: a class B drug of 100 yuan, 10 % share, deductible met, 70 %:
    # preselfpay 10, inscp 90, hifp 63, the patient pays 37.
    r = split([b(10_000)], EMPLOYEE, YearSoFar(80_000, 0, 0))
    assert (r.preselfpay_amt, r.inscp_scp_amt, r.hifp_pay, r.psn_part_amt) == (1_000, 9_000, 6_300, 3_700)


def test_percentages_round_half_up_to_the_fen():
    assert pct(333, 10) == 33  # 33.3 -> 33
    assert pct(335, 10) == 34  # 33.5 -> 34
    r = split([b(335)], EMPLOYEE, YearSoFar(80_000, 0, 0))
    assert (r.preselfpay_amt, r.inscp_scp_amt) == (34, 301)
    assert r.hifp_pay == 211  # 301 × 70 % = 210.7 -> 211
    assert_adds_up(r)


def test_chronic_terms_are_better_than_ordinary_ones():
    ordinary, chronic = terms_for(POLICY, "310", "11"), terms_for(POLICY, "310", "14")
    assert chronic.ratio_pct > ordinary.ratio_pct
    for insutype in ("310", "390"):
        assert terms_for(POLICY, insutype, "14").ratio_pct > terms_for(POLICY, insutype, "11").ratio_pct
    # Chronic, employee: 200-yuan deductible met, 90 %: 100 yuan of class A -> fund 90, person 10.
    r = split([a(10_000)], chronic, YearSoFar(20_000, 0, 0))
    assert (r.hifp_pay, r.psn_cash_pay) == (9_000, 1_000)


def test_resident_without_account_pays_the_person_part_in_cash():
    resident = terms_for(POLICY, "390", "11")  # 200-yuan deductible, 50 %, cap 3 000
    # 300 yuan of class A, deductible fully due: 200 deductible, (300 - 200) × 50 % = 50 from the fund.
    r = split([a(30_000)], resident, YearSoFar(0, 0, 0))
    assert (r.act_pay_dedc, r.hifp_pay, r.acct_pay, r.psn_cash_pay) == (20_000, 5_000, 0, 25_000)


def test_self_pay_is_all_cash():
    r = cash_only([a(12_000), c(3_000)])
    assert (r.medfee_sumamt, r.fund_pay_sumamt, r.acct_pay, r.psn_cash_pay) == (15_000, 0, 0, 15_000)
