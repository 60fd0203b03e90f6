// Tests: IPIP-NEO and SD-3 item tables, splits, named item sets and keyed scoring.
#include "data/inventory.h"
#include "util/error.h"
#include "util/paths.h"

#include "inventories.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace palign;

TEST(DataInventory, Big5HasAll300Items) {
    const auto & inv = big5();
    EXPECT_EQ(inv.kind, inventory_kind::big5);
    EXPECT_EQ(inv.name, "IPIP-NEO");
    ASSERT_EQ(inv.items.size(), 300u);
    EXPECT_EQ(inv.traits, (std::vector<std::string>{ "O", "C", "E", "A", "N" }));
    for (int i = 0; i < 300; i++) {
        EXPECT_EQ(inv.items[i].full_id, i + 1);
        EXPECT_EQ(inv.items[i].id, "i" + std::to_string(i + 1));
        EXPECT_EQ(inv.find(inv.items[i].id), &inv.items[i]);
        EXPECT_FALSE(inv.items[i].text.empty());
    }
    const item & i1 = inv.at("i1");
    EXPECT_EQ(i1.short_id, 1);
    EXPECT_FALSE(i1.reverse);
    EXPECT_EQ(i1.trait, "N");
    EXPECT_EQ(i1.facet, "N1");
    EXPECT_EQ(i1.facet_name, "Anxiety");
    EXPECT_EQ(i1.text, "Worry about things.");
    const item & i99 = inv.at("i99");
    EXPECT_EQ(i99.short_id, 9);
    EXPECT_TRUE(i99.reverse);
    EXPECT_EQ(i99.facet, "A2");
    EXPECT_EQ(i99.text, "Use others for my own ends.");
    EXPECT_EQ(inv.at("i156").short_id, 0);
    EXPECT_TRUE(inv.at("i156").reverse);
    EXPECT_EQ(inv.find("i0"), nullptr);
    EXPECT_EQ(inv.find("i301"), nullptr);
    EXPECT_EQ(inv.find("M1"), nullptr);
    EXPECT_THROW(inv.at("i301"), palign::error);
}

TEST(DataInventory, Big5DomainsAndFacets) {
    const auto & inv = big5();
    std::map<std::string, int> per_domain, per_facet, short_domain, short_facet;
    std::map<std::string, std::set<std::string>> facet_names;
    for (const auto & it : inv.items) {
        per_domain[it.trait]++;
        per_facet[it.facet]++;
        facet_names[it.facet].insert(it.facet_name);
        if (it.short_id) { short_domain[it.trait]++; short_facet[it.facet]++; }
        EXPECT_EQ(it.facet.substr(0, 1), it.trait);
    }
    ASSERT_EQ(per_domain.size(), 5u);
    for (const auto & d : per_domain) EXPECT_EQ(d.second, 60) << d.first;
    ASSERT_EQ(per_facet.size(), 30u);
    for (const auto & f : per_facet) EXPECT_EQ(f.second, 10) << f.first;
    for (const auto & f : facet_names) EXPECT_EQ(f.second.size(), 1u) << f.first;
    ASSERT_EQ(short_domain.size(), 5u);
    for (const auto & d : short_domain) EXPECT_EQ(d.second, 24) << d.first;
    ASSERT_EQ(short_facet.size(), 30u);
    for (const auto & f : short_facet) EXPECT_EQ(f.second, 4) << f.first;
}

TEST(DataInventory, Big5ItemSetsAndSplit) {
    const auto & inv = big5();
    auto s120 = item_set(inv, "ipip-neo-120");
    auto s300 = item_set(inv, "ipip-neo-300");
    auto align = item_set(inv, "align");
    auto eval = item_set(inv, "eval");
    ASSERT_EQ(s120.size(), 120u);
    ASSERT_EQ(s300.size(), 300u);
    ASSERT_EQ(align.size(), 120u);
    ASSERT_EQ(eval.size(), 180u);
    for (int i = 0; i < 120; i++) EXPECT_EQ(s120[i]->short_id, i + 1);
    // the split's align set is the short form, in short-form order
    EXPECT_EQ(align, s120);
    EXPECT_EQ(align[8]->id, "i99");
    std::set<std::string> seen;
    for (auto * it : align) seen.insert(it->id);
    for (auto * it : eval) {
        EXPECT_EQ(it->short_id, 0) << it->id;
        EXPECT_TRUE(seen.insert(it->id).second) << it->id;
    }
    EXPECT_EQ(seen.size(), 300u);
    EXPECT_EQ(eval[0]->id, "i9");
    EXPECT_EQ(s300[299]->id, "i300");
    try {
        item_set(inv, "sd3");
        FAIL() << "no throw";
    } catch (const palign::error & e) {
        EXPECT_NE(std::string(e.what()).find("unknown IPIP-NEO item set 'sd3'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("HINT: item sets are: ipip-neo-120, ipip-neo-300, align, eval"), std::string::npos);
    }
}

TEST(DataInventory, Sd3ItemsAndSplit) {
    const auto & inv = sd3();
    EXPECT_EQ(inv.name, "SD-3");
    ASSERT_EQ(inv.items.size(), 27u);
    EXPECT_EQ(inv.traits, (std::vector<std::string>{ "M", "N", "P" }));
    std::map<std::string, int> per_trait;
    std::set<std::string> reversed;
    for (const auto & it : inv.items) {
        per_trait[it.trait]++;
        if (it.reverse) reversed.insert(it.id);
        EXPECT_EQ(it.id.substr(0, 1), it.trait);
        EXPECT_EQ(it.short_id, 0);
        EXPECT_TRUE(it.facet.empty());
    }
    for (const auto & t : per_trait) EXPECT_EQ(t.second, 9) << t.first;
    EXPECT_EQ(reversed, (std::set<std::string>{ "N2", "N6", "N8", "P2", "P7" }));
    EXPECT_EQ(inv.at("M2").text, "I like to use clever manipulation to get my way.");
    auto all = item_set(inv, "sd3");
    auto align = item_set(inv, "align");
    auto eval = item_set(inv, "eval");
    ASSERT_EQ(all.size(), 27u);
    ASSERT_EQ(align.size(), 18u);
    ASSERT_EQ(eval.size(), 9u);
    EXPECT_EQ(align.front()->id, "M1");
    EXPECT_EQ(align.back()->id, "P6");
    std::vector<std::string> eval_ids;
    for (auto * it : eval) eval_ids.push_back(it->id);
    EXPECT_EQ(eval_ids, (std::vector<std::string>{ "M7", "M8", "M9", "N7", "N8", "N9", "P7", "P8", "P9" }));
    EXPECT_THROW(item_set(inv, "ipip-neo-120"), palign::error);
}

TEST(DataInventory, KeyedScoring) {
    const auto & inv = big5();
    const item & plus = inv.at("i1");    // +
    const item & minus = inv.at("i99");  // -
    for (int a = 1; a <= 5; a++) {
        EXPECT_EQ(keyed_value(plus, a), a);
        EXPECT_EQ(keyed_value(minus, a), 6 - a);
    }
    EXPECT_EQ(keyed_value(plus, 0), 0);    // not answered stays 0
    EXPECT_EQ(keyed_value(minus, 0), 0);
    EXPECT_EQ(keyed_value(minus, 7), 0);
    EXPECT_EQ(keyed_value(sd3().at("N2"), 5), 1);
    EXPECT_EQ(keyed_value(sd3().at("N1"), 5), 5);
}

TEST(DataInventory, NamesAndKinds) {
    EXPECT_EQ(inventory_kind_for_set("ipip-neo-120"), inventory_kind::big5);
    EXPECT_EQ(inventory_kind_for_set("ipip-neo-300"), inventory_kind::big5);
    EXPECT_EQ(inventory_kind_for_set("sd3"), inventory_kind::sd3);
    EXPECT_THROW(inventory_kind_for_set("mbti"), palign::error);
    EXPECT_EQ(trait_name(inventory_kind::big5, "O"), "Openness");
    EXPECT_EQ(trait_name(inventory_kind::big5, "N"), "Neuroticism");
    EXPECT_EQ(trait_name(inventory_kind::sd3, "N"), "Narcissism");
    EXPECT_EQ(trait_name(inventory_kind::sd3, "P"), "Psychopathy");
    EXPECT_STREQ(inventory_kind_name(inventory_kind::sd3), "sd3");
}
